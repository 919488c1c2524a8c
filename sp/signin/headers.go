package signin

import "net/http"

// setSecurityHeaders marks every sign-in response as not to be framed
// (clickjacking on the role chooser and the console) nor content-sniffed.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
}

// crossOrigin refuses a state-changing request (the sign-out POST) that a
// browser marks as coming from another origin; the standard library's check
// reads Sec-Fetch-Site and Origin.
var crossOrigin = http.NewCrossOriginProtection()

// handleLogoutConfirm answers GET /logout with a page whose button posts the
// sign-out: a GET (a link or an image elsewhere) never ends the session.
func (s *Server) handleLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, logoutTmpl, nil)
}
