package iam

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// DefaultMaxItems is how many items a List operation returns when the request
// has no MaxItems (IAM API reference: "defaults to 100").
const DefaultMaxItems = 100

// page is the paging request of a List operation: MaxItems and Marker, both
// already checked against the model's constraints (1–1000; 1–320 characters).
type page struct {
	maxItems int
	marker   string
}

func pageParams(r *awsapi.Request) (page, error) {
	pg := page{maxItems: DefaultMaxItems, marker: r.Get("Marker")}
	if r.Has("MaxItems") {
		n, err := strconv.Atoi(r.Get("MaxItems"))
		if err != nil {
			return page{}, checkOne("MaxItems", shMaxItems, r.Get("MaxItems"))
		}
		pg.maxItems = n
	}
	return pg, nil
}

// paginate returns the page of items (in listing order) that pg asks for and the
// Marker of the next page ("" on the last). A Marker is opaque to clients, as
// AWS's are: here it is the key of the next page's first item, base64-encoded.
func paginate[T any](pg page, items []T, key func(T) string) ([]T, string, error) {
	start := 0
	if pg.marker != "" {
		k, err := base64.RawURLEncoding.DecodeString(pg.marker)
		if err != nil {
			// AWS's message for a Marker it never issued is unverified.
			return nil, "", &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest,
				Message: "Invalid Marker.", Err: err}
		}
		// The item the marker names, where it still is; else the first
		// after it in key order.
		start = slices.IndexFunc(items, func(it T) bool { return key(it) == string(k) })
		if start < 0 {
			start = 0
			for start < len(items) && key(items[start]) < string(k) {
				start++
			}
		}
	}
	end := min(start+pg.maxItems, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))
	}
	return items[start:end], next, nil
}

// paged is the paging part of a List result.
type paged struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

func pagedOf(next string) paged { return paged{next != "", next} }

// tagsResult renders the page of tags (in key order) that pg asks for.
func tagsResult(pg page, tags []awsapi.Tag) (any, error) {
	tags, next, err := paginate(pg, tags, func(t awsapi.Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return struct {
		Tags tagList `xml:"Tags"`
		paged
	}{tagList{Members: tags}, pagedOf(next)}, nil
}
