package main

import (
	"encoding/json"
	"net/http"
)

const controlPrefix = "/harness"

// serveControl is the control API a test uses to change the harness between (or during) tests:
//
//	GET    /harness          {"faults": {...}, "leases": [...]}
//	GET    /harness/faults   the current fault settings
//	POST   /harness/faults   change some of them: {"cutAfterBytes": 1048576, "stream": true}
//	DELETE /harness/faults   back to the start-up (flag) values
//	GET    /harness/leases   every lease so far: state, outcome, progress calls, bytes served
//	POST   /harness/leases/expire   expire every ready lease now, as a host does after a
//	                                 timeout or a restart (tests of losing a lease mid-export)
//
// No authentication: it listens on 127.0.0.1 only, for tests.
func (h *harness) serveControl(w http.ResponseWriter, r *http.Request) {
	switch path := r.URL.Path; {
	case path == controlPrefix && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]interface{}{"faults": h.faults.get(), "leases": h.leaseStatuses()})
	case path == controlPrefix+"/faults":
		h.serveFaults(w, r)
	case path == controlPrefix+"/leases" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, h.leaseStatuses())
	case path == controlPrefix+"/leases/expire" && r.Method == http.MethodPost:
		expired := 0
		for _, l := range h.allLeases() {
			if l.expireNow() {
				expired++
			}
		}
		writeJSON(w, http.StatusOK, map[string]int{"expired": expired})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control request " + r.Method + " " + path})
	}
}

func (h *harness) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, h.faults.get())
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		var p faultPatch
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields() // a misspelt setting must fail the test, not be ignored
		if err := dec.Decode(&p); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f, err := h.faults.patch(p)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, f)
	case http.MethodDelete:
		writeJSON(w, http.StatusOK, h.faults.reset())
	default:
		w.Header().Set("Allow", "GET, POST, PUT, PATCH, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	}
}

func (h *harness) leaseStatuses() []leaseStatus {
	out := []leaseStatus{}
	for _, l := range h.allLeases() {
		out = append(out, l.status())
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
