package main

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// The two VMs of vcsim's VPX model that the harness gives real disks. vcsim powers every VM on;
// the harness powers the first one off, so a test has one VM to ExportVm directly and one that
// needs a snapshot (ExportVm on a running VM fails with InvalidPowerState, as in vSphere).
const (
	offVMPath = "/DC0/vm/DC0_H0_VM0"
	onVMPath  = "/DC0/vm/DC0_H0_VM1"
)

// vmInfo describes a prepared VM in the ready line.
type vmInfo struct {
	Path       string     `json:"path"`
	Moref      string     `json:"moref"`
	PowerState string     `json:"powerState"`
	Disks      []diskInfo `json:"disks"`
}

type diskInfo struct {
	File      string `json:"file"` // the streamOptimized VMDK that a download must equal
	Raw       string `json:"raw"`  // its raw content
	Size      int64  `json:"size"`
	Capacity  int64  `json:"capacity"`
	DeviceKey int32  `json:"deviceKey"`
	SHA256    string `json:"sha256"`
	// The local paths of the files on vcsim's datastore that back the disk (descriptor and
	// flat extent): what the datastore browser lists. A test changes them to act as a guest
	// that wrote to the disk.
	BackingFiles []string `json:"backingFiles"`
}

type vmPlan struct {
	path    string
	sizesMB []int
	powerOn bool
	disks   []*servedDisk
}

// prepareInventory generates the disks, then reconfigures the two VMs through vcsim's own
// in-process API (the same code paths a client would reach) so that their hardware lists
// matching virtual disks, and records which file serves which disk.
func (h *harness) prepareInventory(ctx context.Context, svc *simulator.Service, workDir string, offMB, onMB []int) ([]vmInfo, error) {
	if err := requireQemuImg(); err != nil {
		return nil, err
	}
	c, err := vim25.NewClient(ctx, svc)
	if err != nil {
		return nil, err
	}

	plans := []*vmPlan{
		{path: offVMPath, sizesMB: offMB, powerOn: false},
		{path: onVMPath, sizesMB: onMB, powerOn: true},
	}
	if err := generateAll(workDir, plans); err != nil {
		return nil, err
	}

	var infos []vmInfo
	for _, p := range plans {
		info, err := h.prepareVM(ctx, c, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p.path, err)
		}
		infos = append(infos, *info)
	}
	return infos, nil
}

// generateAll makes every disk, two qemu-img conversions at a time (this machine has 2 cores).
func generateAll(workDir string, plans []*vmPlan) error {
	type job struct {
		plan           *vmPlan
		index, ordinal int
	}
	var jobs []job
	for _, p := range plans {
		p.disks = make([]*servedDisk, len(p.sizesMB))
		for i := range p.sizesMB {
			jobs = append(jobs, job{p, i, len(jobs)})
		}
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for n, j := range jobs {
		wg.Add(1)
		go func(n int, j job) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("%s-disk-%d", path.Base(j.plan.path), j.index)
			j.plan.disks[j.index], errs[n] = generateDisk(workDir, name, j.plan.sizesMB[j.index], j.ordinal)
		}(n, j)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) prepareVM(ctx context.Context, c *vim25.Client, p *vmPlan) (*vmInfo, error) {
	ref, err := object.NewSearchIndex(c).FindByInventoryPath(ctx, p.path)
	if err != nil || ref == nil {
		return nil, fmt.Errorf("not in vcsim's inventory (%v)", err)
	}
	vm := object.NewVirtualMachine(c, ref.Reference())

	// Power off while reconfiguring; then the wanted state.
	if state, _ := vm.PowerState(ctx); state != types.VirtualMachinePowerStatePoweredOff {
		if err := waitTask(vm.PowerOff(ctx)); err != nil {
			return nil, err
		}
	}
	if err := setDisks(ctx, vm, p.sizesMB); err != nil {
		return nil, err
	}
	if p.powerOn {
		if err := waitTask(vm.PowerOn(ctx)); err != nil {
			return nil, err
		}
	}

	devices, err := vm.Device(ctx)
	if err != nil {
		return nil, err
	}
	state, err := vm.PowerState(ctx)
	if err != nil {
		return nil, err
	}
	info := &vmInfo{Path: p.path, Moref: vm.Reference().Value, PowerState: string(state)}
	for i, dev := range sortedDisks(devices) {
		key := dev.Key
		d := p.disks[i]
		h.mu.Lock()
		h.disks[diskID{vm.Reference().Value, key}] = d
		h.mu.Unlock()
		backing, err := backingFilesOf(dev)
		if err != nil {
			return nil, err
		}
		info.Disks = append(info.Disks, diskInfo{
			File: d.VMDK, Raw: d.Raw, Size: d.Size, Capacity: d.Capacity, DeviceKey: key, SHA256: d.SHA256, BackingFiles: backing,
		})
	}
	return info, nil
}

// setDisks resizes vcsim's one disk to the first size and adds a disk on the same controller
// for each further size, in one ReconfigVM_Task (which also moves the CD-ROM to IDE).
func setDisks(ctx context.Context, vm *object.VirtualMachine, sizesMB []int) error {
	devices, err := vm.Device(ctx)
	if err != nil {
		return err
	}
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 {
		return fmt.Errorf("expected vcsim's one disk, found %d", len(disks))
	}
	first := disks[0].(*types.VirtualDisk)
	backing := first.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	var dsPath object.DatastorePath
	dsPath.FromString(backing.FileName)
	controller, ok := devices.FindByKey(first.ControllerKey).(types.BaseVirtualController)
	if !ok {
		return fmt.Errorf("disk %d has no controller", first.Key)
	}

	first.CapacityInKB = int64(sizesMB[0]) * 1024
	first.CapacityInBytes = int64(sizesMB[0]) * mib
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: first},
	}}
	for i := 1; i < len(sizesMB); i++ {
		file := dsPath
		file.Path = path.Join(path.Dir(dsPath.Path), fmt.Sprintf("disk%d.vmdk", i+1))
		disk := devices.CreateDisk(controller, *backing.Datastore, file.String())
		disk.CapacityInKB = int64(sizesMB[i]) * 1024
		disk.CapacityInBytes = int64(sizesMB[i]) * mib
		devices = append(devices, disk) // so that the next disk gets the next unit number
		spec.DeviceChange = append(spec.DeviceChange, &types.VirtualDeviceConfigSpec{
			Operation:     types.VirtualDeviceConfigSpecOperationAdd,
			FileOperation: types.VirtualDeviceConfigSpecFileOperationCreate,
			Device:        disk,
		})
	}
	// vcsim's model attaches the CD-ROM to the SCSI controller (its two new controllers get
	// the same temporary key); on real hardware it sits on IDE, where OVF importers expect it.
	for _, cd := range devices.SelectByType((*types.VirtualCdrom)(nil)) {
		if _, onIDE := devices.FindByKey(cd.GetVirtualDevice().ControllerKey).(*types.VirtualIDEController); onIDE {
			continue
		}
		ide := devices.PickController((*types.VirtualIDEController)(nil))
		if ide == nil {
			return fmt.Errorf("no IDE controller with a free slot for the CD-ROM")
		}
		devices.AssignController(cd, ide)
		spec.DeviceChange = append(spec.DeviceChange, &types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: cd,
		})
	}
	return waitTask(vm.Reconfigure(ctx, spec))
}

func waitTask(task *object.Task, err error) error {
	if err != nil {
		return err
	}
	return task.Wait(context.Background())
}

// backingFilesOf resolves a disk's `[datastore] folder/name.vmdk` and its `-flat` extent to
// local paths under the datastore's folder (vcsim keeps each datastore in a local directory).
func backingFilesOf(disk *types.VirtualDisk) ([]string, error) {
	backing, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !ok || backing.Datastore == nil {
		return nil, fmt.Errorf("disk %d has no flat backing on a datastore", disk.Key)
	}
	ds, ok := simulator.Map.Get(*backing.Datastore).(*simulator.Datastore)
	if !ok {
		return nil, fmt.Errorf("disk %d: datastore %s not found", disk.Key, backing.Datastore.Value)
	}
	var p object.DatastorePath
	if !p.FromString(backing.FileName) {
		return nil, fmt.Errorf("disk %d: %q is not a datastore path", disk.Key, backing.FileName)
	}
	descriptor := path.Join(ds.Info.GetDatastoreInfo().Url, p.Path)
	return []string{descriptor, strings.TrimSuffix(descriptor, ".vmdk") + "-flat.vmdk"}, nil
}
