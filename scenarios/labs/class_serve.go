package labs

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveEarly starts serving trainee t on ln before its lab is opened: the
// replay of a web identity lab's broken state has STS fetch the keys of the
// lab's OpenID Connect provider from the lab's own address (see
// Trainee.serveOIDC); other requests get 503 until the lab is open.
func (c *Class) serveEarly(ln net.Listener, t *Trainee) {
	var h http.Handler = t
	if c.wrap != nil {
		h = c.wrap(len(c.servers)+1, h) // trainees are served in order, from 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(c.logger.Handler(), slog.LevelWarn)}
	c.servers = append(c.servers, srv)
	go func() { c.done <- srv.Serve(ln) }()
}
