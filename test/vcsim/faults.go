package main

import (
	"fmt"
	"sync"
)

// faults is what a test can change about the harness's behaviour without restarting it.
// Flags set the start-up values; the control API (control.go) changes them at run time.
type faults struct {
	// CutAfterBytes cuts a disk download's connection (no clean end of the body) once it has
	// sent this many body bytes; 0 disables. Counted per response, so a resumed Range request
	// starts counting from 0 again.
	CutAfterBytes int64 `json:"cutAfterBytes"`
	// CutEvery cuts every download at CutAfterBytes; when false only the first one is cut and
	// CutAfterBytes then returns to 0.
	CutEvery bool `json:"cutEvery"`
	// RateBytesPerSec limits each disk download (read when the request starts); 0: unlimited.
	RateBytesPerSec int64 `json:"rateBytesPerSec"`
	// LeaseTimeoutSec is the leaseTimeout of leases created from now on: without a
	// HttpNfcLeaseProgress call for that long a ready lease expires.
	LeaseTimeoutSec int `json:"leaseTimeoutSec"`
	// InitDelayMs is how long a new lease stays initializing before it becomes ready.
	InitDelayMs int `json:"initDelayMs"`
	// Stream serves disks the way ESXi does: chunked, no Content-Length, Range ignored (200).
	Stream bool `json:"stream"`
	// SnapshotTaskMs makes CreateSnapshot_Task behave like vCenter's: it answers at once with a
	// running task, and the snapshot exists only when the task succeeds this long after
	// (0: vcsim's own behaviour, the task is done before the call answers). Tests cancel a
	// client inside that window.
	SnapshotTaskMs int `json:"snapshotTaskMs"`
	// ExportDelayMs delays the answer of ExportVm and ExportSnapshot; the lease is made at the
	// end of the delay even when the client has given up waiting, as a server that already
	// accepted the call does.
	ExportDelayMs int `json:"exportDelayMs"`
}

func (f faults) validate() error {
	switch {
	case f.CutAfterBytes < 0:
		return fmt.Errorf("cutAfterBytes must be >= 0")
	case f.RateBytesPerSec < 0:
		return fmt.Errorf("rateBytesPerSec must be >= 0")
	case f.LeaseTimeoutSec < 1:
		return fmt.Errorf("leaseTimeoutSec must be >= 1")
	case f.InitDelayMs < 0:
		return fmt.Errorf("initDelayMs must be >= 0")
	case f.SnapshotTaskMs < 0:
		return fmt.Errorf("snapshotTaskMs must be >= 0")
	case f.ExportDelayMs < 0:
		return fmt.Errorf("exportDelayMs must be >= 0")
	}
	return nil
}

// faultPatch is a partial update: only the fields present in the JSON change.
type faultPatch struct {
	CutAfterBytes   *int64 `json:"cutAfterBytes"`
	CutEvery        *bool  `json:"cutEvery"`
	RateBytesPerSec *int64 `json:"rateBytesPerSec"`
	LeaseTimeoutSec *int   `json:"leaseTimeoutSec"`
	InitDelayMs     *int   `json:"initDelayMs"`
	Stream          *bool  `json:"stream"`
	SnapshotTaskMs  *int   `json:"snapshotTaskMs"`
	ExportDelayMs   *int   `json:"exportDelayMs"`
}

func (p faultPatch) applyTo(f faults) faults {
	if p.CutAfterBytes != nil {
		f.CutAfterBytes = *p.CutAfterBytes
	}
	if p.CutEvery != nil {
		f.CutEvery = *p.CutEvery
	}
	if p.RateBytesPerSec != nil {
		f.RateBytesPerSec = *p.RateBytesPerSec
	}
	if p.LeaseTimeoutSec != nil {
		f.LeaseTimeoutSec = *p.LeaseTimeoutSec
	}
	if p.InitDelayMs != nil {
		f.InitDelayMs = *p.InitDelayMs
	}
	if p.Stream != nil {
		f.Stream = *p.Stream
	}
	if p.SnapshotTaskMs != nil {
		f.SnapshotTaskMs = *p.SnapshotTaskMs
	}
	if p.ExportDelayMs != nil {
		f.ExportDelayMs = *p.ExportDelayMs
	}
	return f
}

// faultStore holds the current faults; requests read a copy when they start.
type faultStore struct {
	mu      sync.Mutex
	initial faults
	current faults
}

func newFaultStore(initial faults) *faultStore {
	return &faultStore{initial: initial, current: initial}
}

func (s *faultStore) get() faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *faultStore) patch(p faultPatch) (faults, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := p.applyTo(s.current)
	if err := next.validate(); err != nil {
		return s.current, err
	}
	s.current = next
	return next, nil
}

// reset restores the start-up (flag) values.
func (s *faultStore) reset() faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = s.initial
	return s.current
}

// takeCut reports whether a download that has reached its cut point must really be cut now.
// A one-time cut is consumed by the first download that reaches it, so concurrent downloads of
// the other disks are not cut as well.
func (s *faultStore) takeCut() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current.CutAfterBytes == 0 {
		return false
	}
	if !s.current.CutEvery {
		s.current.CutAfterBytes = 0
	}
	return true
}
