package main

import (
	"sync"

	"github.com/vmware/govmomi/vim25/types"
)

// harness is the state shared by the front handler, the helper objects and the leases.
type harness struct {
	cert   *serverCert
	faults *faultStore

	mu     sync.Mutex
	disks  map[diskID]*servedDisk // content of each prepared VM disk
	leases []*lease               // every lease ever made, in creation order, for /harness/leases
	byNFC  map[string]*lease      // NFC URL token -> lease
}

// diskID names a VM's virtual disk the way vSphere does: VM moref value and device key.
// A snapshot's disks keep the keys of the VM's, so both exports find the same content.
type diskID struct {
	vm  string
	key int32
}

func newHarness(cert *serverCert, start faults) *harness {
	return &harness{
		cert:   cert,
		faults: newFaultStore(start),
		disks:  make(map[diskID]*servedDisk),
		byNFC:  make(map[string]*lease),
	}
}

func (h *harness) disk(vm types.ManagedObjectReference, key int32) *servedDisk {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.disks[diskID{vm.Value, key}]
}

func (h *harness) addLease(l *lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leases = append(h.leases, l)
	h.byNFC[l.token] = l
}

func (h *harness) leaseByToken(token string) *lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byNFC[token]
}

func (h *harness) allLeases() []*lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*lease(nil), h.leases...)
}

// endAllLeases stops in-flight downloads at shutdown.
func (h *harness) endAllLeases() {
	for _, l := range h.allLeases() {
		l.cancelTransfers()
	}
}
