package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// maxSOAPBody bounds what the front handler reads of a SOAP request (vcsim reads it again).
const maxSOAPBody = 32 << 20

// front is the handler in front of vcsim's mux: it serves the harness's NFC disk URLs and the
// control API, rewrites the SOAP requests for the methods the harness adds (rewrite.go), and
// passes everything else to vcsim untouched.
func (h *harness) front(sim http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, nfcPrefix):
			if h.serveNFC(w, r) {
				return
			}
		case r.URL.Path == controlPrefix || strings.HasPrefix(r.URL.Path, controlPrefix+"/"):
			h.serveControl(w, r)
			return
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk"):
			body, err := io.ReadAll(io.LimitReader(r.Body, maxSOAPBody))
			_ = r.Body.Close()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = h.rewriteRequest(body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		sim.ServeHTTP(w, r)
	})
}
