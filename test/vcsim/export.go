package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Helper types that ExportVm and ExportSnapshot requests are pointed at (rewrite.go): vcsim's
// own VirtualMachine and VirtualMachineSnapshot cannot be given new methods from outside package
// simulator, nor be wrapped (vcsim type-asserts them). A helper has the moref value of its target.
const (
	vmHelperType       = "HarnessVirtualMachine"
	snapshotHelperType = "HarnessVirtualMachineSnapshot"
)

type vmHelper struct {
	Self types.ManagedObjectReference
	h    *harness
}

func (v *vmHelper) Reference() types.ManagedObjectReference { return v.Self }

// ExportVm exports a powered-off VM; like vSphere it refuses a VM that is not powered off
// (a running VM is exported through a snapshot).
func (v *vmHelper) ExportVm(ctx *simulator.Context, req *types.ExportVm) soap.HasFault {
	body := new(methods.ExportVmBody)
	v.h.exportDelay()
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: v.Self.Value}
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: ref})
		return body
	}
	var power types.VirtualMachinePowerState
	var devices object.VirtualDeviceList
	var name string
	ctx.WithLock(vm, func() {
		power = vm.Runtime.PowerState
		devices = append(devices, vm.Config.Hardware.Device...)
		name = vm.Name
	})
	if power != types.VirtualMachinePowerStatePoweredOff {
		body.Fault_ = simulator.Fault(fmt.Sprintf("The attempted operation cannot be performed in the current state (%s).", power),
			&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: power})
		return body
	}
	l, fault := v.h.exportLease(ref, name, devices)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.ExportVmResponse{Returnval: l.Self}
	return body
}

type snapshotHelper struct {
	Self types.ManagedObjectReference
	h    *harness
}

func (s *snapshotHelper) Reference() types.ManagedObjectReference { return s.Self }

// ExportSnapshot exports the disks as they were when the snapshot was taken, whatever the
// VM's power state.
func (s *snapshotHelper) ExportSnapshot(ctx *simulator.Context, req *types.ExportSnapshot) soap.HasFault {
	body := new(methods.ExportSnapshotBody)
	s.h.exportDelay()
	ref := types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: s.Self.Value}
	snap, ok := simulator.Map.Get(ref).(*simulator.VirtualMachineSnapshot)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: ref})
		return body
	}
	var devices object.VirtualDeviceList
	var vmRef types.ManagedObjectReference
	ctx.WithLock(snap, func() {
		devices = append(devices, snap.Config.Hardware.Device...)
		vmRef = snap.Vm
	})
	name := ""
	if vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine); ok {
		ctx.WithLock(vm, func() { name = vm.Name })
	}
	l, fault := s.h.exportLease(vmRef, name, devices)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.ExportSnapshotResponse{Returnval: l.Self}
	return body
}

// exportDelay waits for the fault exportDelayMs. The call goes on afterwards whether or not the
// client is still there: a server does not undo an export it accepted because the caller left.
func (h *harness) exportDelay() {
	if d := h.faults.get().ExportDelayMs; d > 0 {
		time.Sleep(time.Duration(d) * time.Millisecond)
	}
}

// exportLease makes a lease with one deviceUrl per virtual disk, in controller/unit order.
// Keys follow vCenter: key "/<vm moref>/<ControllerType><bus>:<unit>", importKey the same with
// the VM name; the URL's host is "*" (the client substitutes the host it connected to).
func (h *harness) exportLease(vm types.ManagedObjectReference, vmName string, devices object.VirtualDeviceList) (*lease, *soap.Fault) {
	token := newUUID()
	var disks []*leaseDisk
	for i, d := range sortedDisks(devices) {
		content := h.disk(vm, d.Key)
		if content == nil {
			return nil, simulator.Fault(fmt.Sprintf("vcsim-harness has no content for disk %d of %s: only the VMs in the ready line can be exported", d.Key, vm.Value),
				&types.NotSupported{})
		}
		name := fmt.Sprintf("disk-%d.vmdk", i)
		slot := diskSlot(devices, d)
		datastore := ""
		if b, ok := d.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok && b.GetVirtualDeviceFileBackingInfo().Datastore != nil {
			datastore = b.GetVirtualDeviceFileBackingInfo().Datastore.Value
		}
		disks = append(disks, &leaseDisk{
			name:    name,
			content: content,
			url: types.HttpNfcLeaseDeviceUrl{
				Key:           "/" + vm.Value + "/" + slot,
				ImportKey:     "/" + vmName + "/" + slot,
				Url:           "https://*/nfc/" + token + "/" + name,
				SslThumbprint: h.cert.thumbprintSHA1,
				Disk:          types.NewBool(true),
				TargetId:      name,
				DatastoreKey:  datastore,
				// FileSize stays unset, as ESXi leaves it for disks: the size is not known up front.
			},
		})
	}
	if len(disks) == 0 {
		return nil, simulator.Fault("the VM has no disks", &types.NotSupported{})
	}
	return h.newLease(vm, disks, token), nil
}

// sortedDisks returns the virtual disks ordered by controller key, then unit number.
func sortedDisks(devices object.VirtualDeviceList) []*types.VirtualDisk {
	var disks []*types.VirtualDisk
	for _, d := range devices.SelectByType((*types.VirtualDisk)(nil)) {
		disks = append(disks, d.(*types.VirtualDisk))
	}
	sort.Slice(disks, func(i, j int) bool {
		a, b := disks[i], disks[j]
		if a.ControllerKey != b.ControllerKey {
			return a.ControllerKey < b.ControllerKey
		}
		return unit(a) < unit(b)
	})
	return disks
}

// diskSlot names where a disk sits, e.g. "ParaVirtualSCSIController0:1".
func diskSlot(devices object.VirtualDeviceList, d *types.VirtualDisk) string {
	controller := devices.FindByKey(d.ControllerKey)
	bus := int32(0)
	if c, ok := controller.(types.BaseVirtualController); ok {
		bus = c.GetVirtualController().BusNumber
	}
	return fmt.Sprintf("%s%d:%d", devices.TypeName(controller), bus, unit(d))
}

func unit(d *types.VirtualDisk) int32 {
	if d.UnitNumber == nil {
		return -1
	}
	return *d.UnitNumber
}
