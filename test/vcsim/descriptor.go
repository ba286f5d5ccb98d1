package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"text/template"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ovfManagerHelperType is what CreateDescriptor requests on vcsim's OvfManager are pointed at
// (vcsim's OvfManager has CreateImportSpec but not CreateDescriptor).
const ovfManagerHelperType = "HarnessOvfManager"

type ovfManagerHelper struct {
	Self types.ManagedObjectReference
	h    *harness
}

func (m *ovfManagerHelper) Reference() types.ManagedObjectReference { return m.Self }

// CreateDescriptor writes an OVF descriptor for a VM (or, with cdp.snapshot, for the VM as it
// was at that snapshot). As in vSphere, the References section lists only the files given in
// cdp.ovfFiles, each matched to its disk by deviceId (the deviceUrl key of the export lease); a
// disk without a file is described without a fileRef. Unmatched ovfFiles come back as errors.
func (m *ovfManagerHelper) CreateDescriptor(ctx *simulator.Context, req *types.CreateDescriptor) soap.HasFault {
	body := new(methods.CreateDescriptorBody)
	vm, ok := simulator.Map.Get(req.Obj).(*simulator.VirtualMachine)
	if !ok {
		body.Fault_ = simulator.Fault("vcsim-harness describes VirtualMachine objects only", &types.NotSupported{})
		return body
	}
	var config types.VirtualMachineConfigInfo
	ctx.WithLock(vm, func() { config = *vm.Config })
	if ref := req.Cdp.Snapshot; ref != nil {
		snap, ok := simulator.Map.Get(*ref).(*simulator.VirtualMachineSnapshot)
		if !ok || snap.Vm != vm.Self {
			body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "cdp.snapshot"})
			return body
		}
		ctx.WithLock(snap, func() { config = snap.Config })
	}

	d := describe(m.h, vm.Self, config, req.Cdp)
	var out bytes.Buffer
	if err := ovfTemplate.Execute(&out, d); err != nil {
		body.Fault_ = simulator.Fault(err.Error(), &types.RuntimeFault{})
		return body
	}
	res := types.OvfCreateDescriptorResult{OvfDescriptor: out.String(), IncludeImageFiles: req.Cdp.IncludeImageFiles}
	for _, f := range d.unmatched {
		res.Error = append(res.Error, types.LocalizedMethodFault{
			Fault:            &types.InvalidArgument{InvalidProperty: "ovfFiles"},
			LocalizedMessage: fmt.Sprintf("ovfFiles: no disk of %s has deviceId %q", vm.Self.Value, f.DeviceId),
		})
	}
	body.Res = &types.CreateDescriptorResponse{Returnval: res}
	return body
}

// ovfDescription is what the template renders.
type ovfDescription struct {
	Name, Description  string
	GuestID, HWVersion string
	Files              []ovfFileRef
	Disks              []ovfDisk
	Networks           []string
	Items              []rasdItem
	unmatched          []types.OvfFile
}

type ovfFileRef struct {
	ID, Href string
	Size     int64
}

type ovfDisk struct {
	ID, FileRef         string
	Capacity, Populated int64
}

// rasdItem is one hardware Item; empty fields are left out. Its elements are written in the
// alphabetical order that the CIM schema (and ovftool) requires.
type rasdItem struct {
	Address, AddressOnParent, AllocationUnits, AutomaticAllocation, Connection string
	Description, ElementName, HostResource, InstanceID, Parent                 string
	ResourceSubType, ResourceType, VirtualQuantity                             string
	CoresPerSocket                                                             string
}

func describe(h *harness, vm types.ManagedObjectReference, config types.VirtualMachineConfigInfo, cdp types.OvfCreateDescriptorParams) *ovfDescription {
	d := &ovfDescription{
		Name:        config.Name,
		Description: cdp.Description,
		GuestID:     config.GuestId,
		HWVersion:   config.Version,
	}
	if cdp.Name != "" {
		d.Name = cdp.Name
	}
	if d.HWVersion == "" {
		d.HWVersion = "vmx-13"
	}
	devices := object.VirtualDeviceList(config.Hardware.Device)
	next := 0
	newID := func() string { next++; return strconv.Itoa(next) }

	d.Items = append(d.Items,
		rasdItem{AllocationUnits: "hertz * 10^6", Description: "Number of Virtual CPUs",
			ElementName: fmt.Sprintf("%d virtual CPU(s)", config.Hardware.NumCPU), InstanceID: newID(),
			ResourceType: "3", VirtualQuantity: strconv.Itoa(int(config.Hardware.NumCPU)),
			CoresPerSocket: strconv.Itoa(int(max32(config.Hardware.NumCoresPerSocket, 1)))},
		rasdItem{AllocationUnits: "byte * 2^20", Description: "Memory Size",
			ElementName: fmt.Sprintf("%dMB of memory", config.Hardware.MemoryMB), InstanceID: newID(),
			ResourceType: "4", VirtualQuantity: strconv.Itoa(int(config.Hardware.MemoryMB))})

	// Controllers first: their InstanceIDs are the Parent of the disks and drives.
	parents := map[int32]string{}
	for _, dev := range devices {
		item, ok := controllerItem(devices, dev)
		if !ok {
			continue
		}
		item.InstanceID = newID()
		parents[dev.GetVirtualDevice().Key] = item.InstanceID
		d.Items = append(d.Items, item)
	}

	files := map[string]types.OvfFile{}
	for _, f := range cdp.OvfFiles {
		files[f.DeviceId] = f
	}
	for i, disk := range sortedDisks(devices) {
		slot := diskSlot(devices, disk)
		od := ovfDisk{ID: fmt.Sprintf("vmdisk%d", i+1), Capacity: disk.CapacityInBytes}
		if od.Capacity == 0 {
			od.Capacity = disk.CapacityInKB * 1024
		}
		if content := h.disk(vm, disk.Key); content != nil {
			od.Populated = content.Populated
		}
		for _, key := range []string{"/" + vm.Value + "/" + slot, "/" + config.Name + "/" + slot} {
			if f, ok := files[key]; ok {
				delete(files, key)
				od.FileRef = fmt.Sprintf("file%d", len(d.Files)+1)
				d.Files = append(d.Files, ovfFileRef{ID: od.FileRef, Href: f.Path, Size: f.Size})
				break
			}
		}
		d.Disks = append(d.Disks, od)
		d.Items = append(d.Items, rasdItem{AddressOnParent: strconv.Itoa(int(unit(disk))),
			ElementName: fmt.Sprintf("Hard disk %d", i+1), HostResource: "ovf:/disk/" + od.ID,
			InstanceID: newID(), Parent: parents[disk.ControllerKey], ResourceType: "17"})
	}
	for _, f := range cdp.OvfFiles {
		if _, left := files[f.DeviceId]; left {
			d.unmatched = append(d.unmatched, f)
		}
	}

	ncd, nnic := 0, 0
	seen := map[string]bool{}
	for _, dev := range devices {
		base := dev.GetVirtualDevice()
		switch dev := dev.(type) {
		case *types.VirtualCdrom:
			ncd++
			d.Items = append(d.Items, rasdItem{AddressOnParent: strconv.Itoa(int(unitOf(base))), AutomaticAllocation: "false",
				ElementName: fmt.Sprintf("CD/DVD drive %d", ncd), InstanceID: newID(), Parent: parents[base.ControllerKey], ResourceType: "15"})
		case types.BaseVirtualEthernetCard:
			nnic++
			network := "VM Network"
			if b, ok := base.Backing.(*types.VirtualEthernetCardNetworkBackingInfo); ok && b.DeviceName != "" {
				network = b.DeviceName
			}
			if !seen[network] {
				seen[network] = true
				d.Networks = append(d.Networks, network)
			}
			d.Items = append(d.Items, rasdItem{AddressOnParent: strconv.Itoa(int(unitOf(base))), AutomaticAllocation: "true",
				Connection: network, ElementName: fmt.Sprintf("Network adapter %d", nnic), InstanceID: newID(),
				ResourceSubType: nicSubType(dev), ResourceType: "10"})
		}
	}
	return d
}

// controllerItem describes a disk or CD controller; other devices report false.
func controllerItem(devices object.VirtualDeviceList, dev types.BaseVirtualDevice) (rasdItem, bool) {
	var subType, kind, name string
	switch dev.(type) {
	case *types.ParaVirtualSCSIController:
		subType, kind, name = "VirtualSCSI", "6", "SCSI controller"
	case *types.VirtualLsiLogicController:
		subType, kind, name = "lsilogic", "6", "SCSI controller"
	case *types.VirtualLsiLogicSASController:
		subType, kind, name = "lsilogicsas", "6", "SCSI controller"
	case *types.VirtualBusLogicController:
		subType, kind, name = "buslogic", "6", "SCSI controller"
	case *types.VirtualIDEController:
		kind, name = "5", "IDE controller"
	case *types.VirtualAHCIController:
		subType, kind, name = "vmware.sata.ahci", "20", "SATA controller"
	default:
		return rasdItem{}, false
	}
	bus := dev.(types.BaseVirtualController).GetVirtualController().BusNumber
	return rasdItem{Address: strconv.Itoa(int(bus)), Description: name + " " + strconv.Itoa(int(bus)),
		ElementName: fmt.Sprintf("%s %d", name, bus), ResourceSubType: subType, ResourceType: kind}, true
}

func nicSubType(nic types.BaseVirtualEthernetCard) string {
	switch nic.(type) {
	case *types.VirtualVmxnet3:
		return "VmxNet3"
	case *types.VirtualE1000e:
		return "E1000e"
	case *types.VirtualPCNet32:
		return "PCNet32"
	default:
		return "E1000"
	}
}

func unitOf(d *types.VirtualDevice) int32 {
	if d.UnitNumber == nil {
		return 0
	}
	return *d.UnitNumber
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

var ovfTemplate = template.Must(template.New("ovf").Funcs(template.FuncMap{"x": xmlText}).Parse(
	`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
{{- range .Files}}
    <File ovf:href="{{x .Href}}" ovf:id="{{.ID}}"{{if .Size}} ovf:size="{{.Size}}"{{end}}/>
{{- end}}
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
{{- range .Disks}}
    <Disk ovf:capacity="{{.Capacity}}" ovf:capacityAllocationUnits="byte" ovf:diskId="{{.ID}}"{{if .FileRef}} ovf:fileRef="{{.FileRef}}"{{end}} ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"{{if .Populated}} ovf:populatedSize="{{.Populated}}"{{end}}/>
{{- end}}
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
{{- range .Networks}}
    <Network ovf:name="{{x .}}">
      <Description>The {{x .}} network</Description>
    </Network>
{{- end}}
  </NetworkSection>
  <VirtualSystem ovf:id="{{x .Name}}">
    <Info>A virtual machine</Info>
    <Name>{{x .Name}}</Name>
{{- if .Description}}
    <AnnotationSection>
      <Info>A human-readable annotation</Info>
      <Annotation>{{x .Description}}</Annotation>
    </AnnotationSection>
{{- end}}
    <OperatingSystemSection ovf:id="1" vmw:osType="{{x .GuestID}}">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{x .Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>{{x .HWVersion}}</vssd:VirtualSystemType>
      </System>
{{- range .Items}}
      <Item>
{{- if .Address}}
        <rasd:Address>{{.Address}}</rasd:Address>{{end}}
{{- if .AddressOnParent}}
        <rasd:AddressOnParent>{{.AddressOnParent}}</rasd:AddressOnParent>{{end}}
{{- if .AllocationUnits}}
        <rasd:AllocationUnits>{{.AllocationUnits}}</rasd:AllocationUnits>{{end}}
{{- if .AutomaticAllocation}}
        <rasd:AutomaticAllocation>{{.AutomaticAllocation}}</rasd:AutomaticAllocation>{{end}}
{{- if .Connection}}
        <rasd:Connection>{{x .Connection}}</rasd:Connection>{{end}}
{{- if .Description}}
        <rasd:Description>{{x .Description}}</rasd:Description>{{end}}
        <rasd:ElementName>{{x .ElementName}}</rasd:ElementName>
{{- if .HostResource}}
        <rasd:HostResource>{{.HostResource}}</rasd:HostResource>{{end}}
        <rasd:InstanceID>{{.InstanceID}}</rasd:InstanceID>
{{- if .Parent}}
        <rasd:Parent>{{.Parent}}</rasd:Parent>{{end}}
{{- if .ResourceSubType}}
        <rasd:ResourceSubType>{{.ResourceSubType}}</rasd:ResourceSubType>{{end}}
        <rasd:ResourceType>{{.ResourceType}}</rasd:ResourceType>
{{- if .VirtualQuantity}}
        <rasd:VirtualQuantity>{{.VirtualQuantity}}</rasd:VirtualQuantity>{{end}}
{{- if .CoresPerSocket}}
        <vmw:CoresPerSocket ovf:required="false">{{.CoresPerSocket}}</vmw:CoresPerSocket>{{end}}
      </Item>
{{- end}}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))
