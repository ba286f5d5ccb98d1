package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// lease is an export HttpNfcLease. It lives in vcsim's registry with the real type name
// "HttpNfcLease", so vcsim dispatches the HttpNfcLease* methods to it and its PropertyCollector
// serves its properties (RetrievePropertiesEx and WaitForUpdatesEx alike).
//
// Locking: vcsim holds the registry lock of this object while it runs a method on it or reads
// its properties; every change of the mo fields goes through simulator.Map.Update under that
// lock, which also wakes WaitForUpdatesEx callers. The NFC handler never takes that lock: what it
// needs is kept under mu.
type lease struct {
	mo.HttpNfcLease // first field: vcsim's PropertyCollector reads the embedded mo type

	h       *harness
	token   string // the secret part of this lease's NFC URLs
	disks   []*leaseDisk
	info    types.HttpNfcLeaseInfo // published when the lease becomes ready
	timeout time.Duration

	transfers context.Context // cancelled when the lease ends, to cut downloads in flight
	cancel    context.CancelFunc

	mu            sync.Mutex
	serving       bool
	outcome       string // "", "completed", "aborted" or "expired"
	lastProgress  time.Time
	progressCalls int
	created       time.Time
	bytesServed   int64 // atomic
}

// leaseDisk is one disk of a lease: its deviceUrl and the file behind it.
type leaseDisk struct {
	name    string // last element of the URL path, e.g. disk-0.vmdk
	url     types.HttpNfcLeaseDeviceUrl
	content *servedDisk
}

// newLease registers a lease in state initializing; it becomes ready after the configured
// delay, as a real host first has to open the disks.
// Reference overrides mo.HttpNfcLease's value-receiver Reference, which copies the whole struct
// (a data race with property updates) where only Self, set once, is needed.
func (l *lease) Reference() types.ManagedObjectReference { return l.Self }

func (h *harness) newLease(entity types.ManagedObjectReference, disks []*leaseDisk, token string) *lease {
	f := h.faults.get()
	l := &lease{
		HttpNfcLease: mo.HttpNfcLease{
			Self:         types.ManagedObjectReference{Type: "HttpNfcLease", Value: fmt.Sprintf("session[%s]%s", newUUID(), newUUID())},
			Mode:         "pull",
			Capabilities: types.HttpNfcLeaseCapabilities{PullModeSupported: true},
			State:        types.HttpNfcLeaseStateInitializing,
		},
		h:       h,
		token:   token,
		disks:   disks,
		timeout: time.Duration(f.LeaseTimeoutSec) * time.Second,
		created: time.Now(),
	}
	l.transfers, l.cancel = context.WithCancel(context.Background())

	var capacityKB int64
	for _, d := range disks {
		l.info.DeviceUrl = append(l.info.DeviceUrl, d.url)
		capacityKB += d.content.Capacity / 1024
	}
	l.info.Lease = l.Self
	l.info.Entity = entity
	l.info.TotalDiskCapacityInKB = capacityKB
	l.info.LeaseTimeout = int32(f.LeaseTimeoutSec)

	simulator.Map.Put(l)
	h.addLease(l)
	time.AfterFunc(time.Duration(f.InitDelayMs)*time.Millisecond, l.becomeReady)
	return l
}

func (l *lease) becomeReady() {
	simulator.Map.WithLock(l, func() {
		if l.State != types.HttpNfcLeaseStateInitializing {
			return // aborted while initializing
		}
		l.mu.Lock()
		l.serving = true
		l.lastProgress = time.Now()
		l.mu.Unlock()
		simulator.Map.Update(l, []types.PropertyChange{
			{Name: "initializeProgress", Val: int32(100)},
			{Name: "info", Val: l.info},
			{Name: "state", Val: types.HttpNfcLeaseStateReady},
		})
	})
	time.AfterFunc(l.timeout, l.checkExpiry)
}

// checkExpiry is the watchdog: a ready lease expires when no HttpNfcLeaseProgress call came for
// leaseTimeout. Progress calls only record the time; the watchdog re-arms itself for the rest.
func (l *lease) checkExpiry() {
	simulator.Map.WithLock(l, func() {
		if l.State != types.HttpNfcLeaseStateReady {
			return
		}
		l.mu.Lock()
		idle := time.Since(l.lastProgress)
		l.mu.Unlock()
		if idle < l.timeout {
			time.AfterFunc(l.timeout-idle, l.checkExpiry)
			return
		}
		l.end(types.HttpNfcLeaseStateError, "expired", &types.LocalizedMethodFault{
			Fault:            &types.Timedout{},
			LocalizedMessage: fmt.Sprintf("The HttpNfcLease timed out: no progress for %s", l.timeout),
		})
	})
}

// expireNow ends a ready lease as if its timeout had passed; reports whether it was ready.
func (l *lease) expireNow() bool {
	expired := false
	simulator.Map.WithLock(l, func() {
		if l.State != types.HttpNfcLeaseStateReady {
			return
		}
		l.end(types.HttpNfcLeaseStateError, "expired", &types.LocalizedMethodFault{
			Fault:            &types.Timedout{},
			LocalizedMessage: "The HttpNfcLease timed out (expired by the test harness)",
		})
		expired = true
	})
	return expired
}

// end moves the lease to its final state and makes its URLs stop working. Callers hold the
// registry lock (a method call or WithLock).
func (l *lease) end(state types.HttpNfcLeaseState, outcome string, fault *types.LocalizedMethodFault) {
	l.mu.Lock()
	l.serving = false
	l.outcome = outcome
	l.mu.Unlock()
	l.cancel()
	changes := []types.PropertyChange{{Name: "state", Val: state}}
	if fault != nil {
		changes = append(changes, types.PropertyChange{Name: "error", Val: *fault})
	}
	simulator.Map.Update(l, changes)
	log.Printf("lease %s %s", l.Self.Value, outcome)
}

func (l *lease) cancelTransfers() { l.cancel() }

// isServing reports whether the lease's URLs work now.
func (l *lease) isServing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.serving
}

func (l *lease) addServed(n int64) { atomic.AddInt64(&l.bytesServed, n) }

// notReady answers a call that needs a ready lease, with the faults the API documents:
// Timedout once the lease has expired, InvalidState otherwise.
func (l *lease) notReady() *soap.Fault {
	l.mu.Lock()
	outcome := l.outcome
	l.mu.Unlock()
	if outcome == "expired" {
		return simulator.Fault("The lease has timed out", &types.Timedout{})
	}
	return simulator.Fault(fmt.Sprintf("The lease is in state %s", l.State), &types.InvalidState{})
}

func (l *lease) HttpNfcLeaseProgress(req *types.HttpNfcLeaseProgress) soap.HasFault {
	body := new(methods.HttpNfcLeaseProgressBody)
	switch {
	case l.State != types.HttpNfcLeaseStateReady:
		body.Fault_ = l.notReady()
	case req.Percent < 0 || req.Percent > 100:
		body.Fault_ = simulator.Fault("percent must be within 0-100", &types.InvalidArgument{InvalidProperty: "percent"})
	default:
		l.mu.Lock()
		l.lastProgress = time.Now()
		l.progressCalls++
		l.mu.Unlock()
		simulator.Map.Update(l, []types.PropertyChange{{Name: "transferProgress", Val: req.Percent}})
		body.Res = new(types.HttpNfcLeaseProgressResponse)
	}
	return body
}

func (l *lease) HttpNfcLeaseComplete(req *types.HttpNfcLeaseComplete) soap.HasFault {
	body := new(methods.HttpNfcLeaseCompleteBody)
	if l.State != types.HttpNfcLeaseStateReady {
		body.Fault_ = l.notReady()
		return body
	}
	l.end(types.HttpNfcLeaseStateDone, "completed", nil)
	body.Res = new(types.HttpNfcLeaseCompleteResponse)
	return body
}

// HttpNfcLeaseAbort puts the lease in state error with the client's fault (or RequestCanceled).
func (l *lease) HttpNfcLeaseAbort(req *types.HttpNfcLeaseAbort) soap.HasFault {
	body := new(methods.HttpNfcLeaseAbortBody)
	if l.State != types.HttpNfcLeaseStateReady && l.State != types.HttpNfcLeaseStateInitializing {
		body.Fault_ = l.notReady()
		return body
	}
	fault := req.Fault
	if fault == nil {
		fault = &types.LocalizedMethodFault{Fault: &types.RequestCanceled{}, LocalizedMessage: "Operation was canceled by the client"}
	}
	l.end(types.HttpNfcLeaseStateError, "aborted", fault)
	body.Res = new(types.HttpNfcLeaseAbortResponse)
	return body
}

// HttpNfcLeaseGetManifest lists the SHA-1 (and SHA-256) of each disk exactly as it is served.
func (l *lease) HttpNfcLeaseGetManifest(req *types.HttpNfcLeaseGetManifest) soap.HasFault {
	body := new(methods.HttpNfcLeaseGetManifestBody)
	if l.State != types.HttpNfcLeaseStateReady {
		body.Fault_ = l.notReady()
		return body
	}
	res := new(types.HttpNfcLeaseGetManifestResponse)
	for _, d := range l.disks {
		res.Returnval = append(res.Returnval, types.HttpNfcLeaseManifestEntry{
			Key:           d.url.Key,
			Sha1:          d.content.SHA1,
			Checksum:      d.content.SHA256,
			ChecksumType:  "sha256",
			Size:          d.content.Size,
			Disk:          true,
			Capacity:      d.content.Capacity,
			PopulatedSize: d.content.Populated,
		})
	}
	body.Res = res
	return body
}

// leaseStatus is what GET /harness/leases tells a test about each lease.
type leaseStatus struct {
	Moref         string `json:"moref"`
	Entity        string `json:"entity"`
	State         string `json:"state"`
	Outcome       string `json:"outcome,omitempty"`
	ProgressCalls int    `json:"progressCalls"`
	BytesServed   int64  `json:"bytesServed"`
	Created       string `json:"created"`
}

func (l *lease) status() leaseStatus {
	var s leaseStatus
	simulator.Map.WithLock(l, func() {
		s.State = string(l.State)
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	s.Moref = l.Self.Value
	s.Entity = l.info.Entity.Value
	s.Outcome = l.outcome
	s.ProgressCalls = l.progressCalls
	s.BytesServed = atomic.LoadInt64(&l.bytesServed)
	s.Created = l.created.UTC().Format(time.RFC3339Nano)
	return s
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
