package main

// These tests run the built binary (bin/vcsim-harness, see build.sh) and talk to it the way
// clients do: govmomi's own export code (what `govc export.ovf` runs) and plain HTTP.
//
//	./build.sh && GO111MODULE=off GOFLAGS= GOPATH=/usr/share/gocode:$PWD/.gopath go test -v .

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/ioutil"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var ready readyLine // the harness's ready line, shared by all tests

func TestMain(m *testing.M) {
	// Pdeathsig follows the thread that started the child: keep this one until the end.
	runtime.LockOSThread()
	os.Exit(runWithHarness(m))
}

// runWithHarness starts the harness, runs the tests, stops it with SIGTERM and checks that it
// removed its work dir. Its log is shown only when something failed.
func runWithHarness(m *testing.M) (code int) {
	logFile, err := ioutil.TempFile("", "vcsim-harness-log-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.Remove(logFile.Name())
	defer func() {
		if code != 0 {
			_, _ = logFile.Seek(0, io.SeekStart)
			_, _ = io.Copy(os.Stderr, logFile)
		}
		logFile.Close()
	}()

	cmd := exec.Command("./bin/vcsim-harness", "-disk-mb", "4,2", "-running-disk-mb", "2", "-init-delay", "300")
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive a crashed test
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the harness (run ./build.sh first):", err)
		return 1
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &ready)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "no ready line:", err)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 1
	}

	code = m.Run()

	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if _, err := os.Stat(ready.WorkDir); !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "work dir left behind after SIGTERM:", ready.WorkDir)
		code = 1
	}
	return code
}

// login connects like govc with GOVC_TLS_THUMBPRINT: no CA, the certificate pinned by thumbprint.
func login(t *testing.T) *vim25.Client {
	t.Helper()
	ctx := context.Background()
	u, _ := url.Parse(ready.URL)
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, ready.Thumbprint)
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(ready.Username, ready.Password)); err != nil {
		t.Fatal(err)
	}
	return c
}

func findVM(t *testing.T, c *vim25.Client, path string) *object.VirtualMachine {
	t.Helper()
	ref, err := object.NewSearchIndex(c).FindByInventoryPath(context.Background(), path)
	if err != nil || ref == nil {
		t.Fatalf("FindByInventoryPath(%s): %v", path, err)
	}
	return object.NewVirtualMachine(c, ref.Reference())
}

// control sends a request to the control API and decodes the JSON answer into v.
func control(t *testing.T, method, path, body string, v interface{}) {
	t.Helper()
	req, _ := http.NewRequest(method, ready.Control+path, strings.NewReader(body))
	res, err := pinnedHTTP().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := ioutil.ReadAll(res.Body)
		t.Fatalf("%s %s: %s %s", method, path, res.Status, msg)
	}
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
}

func setFaults(t *testing.T, patch string) {
	t.Helper()
	control(t, http.MethodPost, "/faults", patch, nil)
	t.Cleanup(func() { control(t, http.MethodDelete, "/faults", "", nil) })
}

// pinnedHTTP is a plain HTTP client that accepts exactly the harness's certificate.
func pinnedHTTP() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // replaced by the thumbprint check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			sum := sha1.Sum(raw[0])
			if colonHex(sum[:]) != ready.Thumbprint {
				return errors.New("certificate does not match the thumbprint")
			}
			return nil
		},
	}}}
}

// diskURL makes a deviceUrl absolute the way clients do: "*" becomes the host connected to.
func diskURL(device types.HttpNfcLeaseDeviceUrl) string {
	u, _ := url.Parse(ready.URL)
	return strings.Replace(device.Url, "*", u.Host, 1)
}

func readyLease(t *testing.T, c *vim25.Client, ref types.ManagedObjectReference) (*nfc.Lease, *nfc.LeaseInfo) {
	t.Helper()
	lease := nfc.NewLease(c, ref)
	info, err := lease.Wait(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return lease, info
}

func leaseState(t *testing.T, c *vim25.Client, ref types.ManagedObjectReference) mo.HttpNfcLease {
	t.Helper()
	var l mo.HttpNfcLease
	if err := property.DefaultCollector(c).RetrieveOne(context.Background(), ref, []string{"state", "error", "info"}, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func vimFault(err error) types.AnyType {
	if soap.IsSoapFault(err) {
		return soap.ToSoapFault(err).VimFault()
	}
	return nil
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err1 := ioutil.ReadFile(got)
	b, err2 := ioutil.ReadFile(want)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("%s (%d bytes) differs from %s (%d bytes)", got, len(a), want, len(b))
	}
}

// TestExportOVFLikeGovc follows govc export.ovf: ExportVm, wait for the lease, keep it alive
// with the lease updater, download every item, Complete, then CreateDescriptor with ovfFiles.
func TestExportOVFLikeGovc(t *testing.T) {
	ctx := context.Background()
	c := login(t)
	vm := findVM(t, c, ready.VMs[0].Path)
	lease, err := vm.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := lease.Wait(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Items) != 2 || info.LeaseTimeout != 300 {
		t.Fatalf("lease info: %d items, leaseTimeout %d", len(info.Items), info.LeaseTimeout)
	}
	updater := lease.StartUpdater(ctx, info)
	dir := t.TempDir()
	var files []types.OvfFile
	for i, item := range info.Items {
		target := filepath.Join(dir, item.Path)
		if err := lease.DownloadFile(ctx, target, item, soap.DefaultDownload); err != nil {
			t.Fatal(err)
		}
		sameFile(t, target, ready.VMs[0].Disks[i].File)
		if out, err := exec.Command("qemu-img", "check", target).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img check: %v\n%s", err, out)
		}
		files = append(files, item.File())
	}

	res, err := methods.HttpNfcLeaseGetManifest(ctx, c, &types.HttpNfcLeaseGetManifest{This: lease.Reference()})
	if err != nil {
		t.Fatal(err)
	}
	for i, entry := range res.Returnval {
		data, _ := ioutil.ReadFile(ready.VMs[0].Disks[i].File)
		sum := sha1.Sum(data)
		if entry.Sha1 != hex.EncodeToString(sum[:]) || entry.Checksum != ready.VMs[0].Disks[i].SHA256 || entry.Key != info.DeviceUrl[i].Key {
			t.Fatalf("manifest entry %d: %+v", i, entry)
		}
	}

	updater.Done()
	if err := lease.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	if s := leaseState(t, c, lease.Reference()).State; s != types.HttpNfcLeaseStateDone {
		t.Fatalf("state after Complete: %s", s)
	}
	if res, err := pinnedHTTP().Get(diskURL(info.DeviceUrl[0])); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("disk URL after Complete: %v %v", res.Status, err)
	}

	desc, err := ovf.NewManager(c).CreateDescriptor(ctx, vm, types.OvfCreateDescriptorParams{Name: "exported", OvfFiles: files})
	if err != nil || len(desc.Error) != 0 {
		t.Fatalf("CreateDescriptor: %v %+v", err, desc)
	}
	env, err := ovf.Unmarshal(strings.NewReader(desc.OvfDescriptor))
	if err != nil {
		t.Fatalf("descriptor does not parse: %v\n%s", err, desc.OvfDescriptor)
	}
	if len(env.References) != 2 || env.References[0].Href != files[0].Path || int64(env.References[1].Size) != files[1].Size {
		t.Fatalf("References: %+v", env.References)
	}
	if len(env.Disk.Disks) != 2 || env.Disk.Disks[0].Capacity != fmt.Sprint(4<<20) || *env.Disk.Disks[1].FileRef != env.References[1].ID {
		t.Fatalf("DiskSection: %+v", env.Disk.Disks)
	}
	if env.VirtualSystem.ID != "exported" {
		t.Fatalf("VirtualSystem id %q", env.VirtualSystem.ID)
	}

	// vcsim's own OVF import reads it back with the same CPUs, memory and two disk uploads.
	finder := object.NewSearchIndex(c)
	pool, _ := finder.FindByInventoryPath(ctx, "/DC0/host/DC0_H0/Resources")
	ds, _ := finder.FindByInventoryPath(ctx, "/DC0/datastore/LocalDS_0")
	spec, err := ovf.NewManager(c).CreateImportSpec(ctx, desc.OvfDescriptor, pool, ds, types.OvfCreateImportSpecParams{EntityName: "reimported"})
	if err != nil {
		t.Fatalf("CreateImportSpec: %v\n%s", err, desc.OvfDescriptor)
	}
	if len(spec.Error) != 0 {
		t.Fatalf("CreateImportSpec: %+v", spec.Error)
	}
	var props mo.VirtualMachine
	_ = vm.Properties(ctx, vm.Reference(), []string{"config.hardware"}, &props)
	cs := spec.ImportSpec.(*types.VirtualMachineImportSpec).ConfigSpec
	if len(spec.FileItem) != 2 || cs.NumCPUs != props.Config.Hardware.NumCPU || cs.MemoryMB != int64(props.Config.Hardware.MemoryMB) {
		t.Fatalf("import spec: %d file items, %d CPUs, %d MB", len(spec.FileItem), cs.NumCPUs, cs.MemoryMB)
	}
}

func TestExportVmOfRunningVMFails(t *testing.T) {
	c := login(t)
	_, err := findVM(t, c, ready.VMs[1].Path).Export(context.Background())
	if _, ok := vimFault(err).(types.InvalidPowerState); !ok {
		t.Fatalf("want InvalidPowerState, got %v", err)
	}
}

// TestExportSnapshotOfRunningVM is the path for a powered-on VM: snapshot, ExportSnapshot.
func TestExportSnapshotOfRunningVM(t *testing.T) {
	ctx := context.Background()
	c := login(t)
	vm := findVM(t, c, ready.VMs[1].Path)
	task, err := vm.CreateSnapshot(ctx, "export", "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	result, err := task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := result.Result.(types.ManagedObjectReference)
	res, err := methods.ExportSnapshot(ctx, c, &types.ExportSnapshot{This: snap})
	if err != nil {
		t.Fatal(err)
	}
	lease, info := readyLease(t, c, res.Returnval)
	target := filepath.Join(t.TempDir(), "disk.vmdk")
	if err := lease.DownloadFile(ctx, target, info.Items[0], soap.DefaultDownload); err != nil {
		t.Fatal(err)
	}
	sameFile(t, target, ready.VMs[1].Disks[0].File)
	if err := lease.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	desc, err := ovf.NewManager(c).CreateDescriptor(ctx, vm, types.OvfCreateDescriptorParams{Snapshot: &snap,
		OvfFiles: []types.OvfFile{{DeviceId: info.DeviceUrl[0].Key, Path: "disk.vmdk", Size: 42}}})
	if err != nil || !strings.Contains(desc.OvfDescriptor, `ovf:href="disk.vmdk" ovf:id="file1" ovf:size="42"`) {
		t.Fatalf("CreateDescriptor for the snapshot: %v\n%s", err, desc.OvfDescriptor)
	}
	if _, err := vm.RemoveSnapshot(ctx, "export", false, nil); err != nil {
		t.Fatal(err)
	}
}

// exportOff starts an export of the powered-off VM and waits until it is ready.
func exportOff(t *testing.T) (*vim25.Client, *nfc.Lease, *nfc.LeaseInfo) {
	t.Helper()
	c := login(t)
	lease, err := findVM(t, c, ready.VMs[0].Path).Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, info := readyLease(t, c, lease.Reference())
	return c, l, info
}

func get(t *testing.T, method, u string, header ...string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := pinnedHTTP().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := ioutil.ReadAll(res.Body)
	return res, body, err
}

func TestRangeAndHead(t *testing.T) {
	_, lease, info := exportOff(t)
	defer lease.Complete(context.Background())
	want, _ := ioutil.ReadFile(ready.VMs[0].Disks[0].File)
	u := diskURL(info.DeviceUrl[0])

	res, _, _ := get(t, http.MethodHead, u)
	if res.StatusCode != 200 || res.ContentLength != int64(len(want)) || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("HEAD: %s length %d", res.Status, res.ContentLength)
	}
	res, body, err := get(t, http.MethodGet, u, "Range", "bytes=1000-")
	wantRange := fmt.Sprintf("bytes 1000-%d/%d", len(want)-1, len(want))
	if err != nil || res.StatusCode != 206 || res.Header.Get("Content-Range") != wantRange || !bytes.Equal(body, want[1000:]) {
		t.Fatalf("GET Range: %s %q %v", res.Status, res.Header.Get("Content-Range"), err)
	}
}

func TestStreamModeIgnoresRange(t *testing.T) {
	setFaults(t, `{"stream": true}`)
	_, lease, info := exportOff(t)
	defer lease.Complete(context.Background())
	want, _ := ioutil.ReadFile(ready.VMs[0].Disks[1].File)
	res, body, err := get(t, http.MethodGet, diskURL(info.DeviceUrl[1]), "Range", "bytes=1000-")
	if err != nil || res.StatusCode != 200 || res.ContentLength != -1 || len(res.TransferEncoding) == 0 || !bytes.Equal(body, want) {
		t.Fatalf("stream GET: %s length %d %v %v", res.Status, res.ContentLength, res.TransferEncoding, err)
	}
}

// TestCutOnceThenResume: the first download is cut after 1 MiB; a Range request resumes it.
func TestCutOnceThenResume(t *testing.T) {
	setFaults(t, `{"cutAfterBytes": 1048576}`)
	_, lease, info := exportOff(t)
	defer lease.Complete(context.Background())
	want, _ := ioutil.ReadFile(ready.VMs[0].Disks[0].File)
	u := diskURL(info.DeviceUrl[0])

	_, part, err := get(t, http.MethodGet, u)
	if err == nil || len(part) != 1<<20 {
		t.Fatalf("first GET: %d bytes, err %v; want a cut after 1 MiB", len(part), err)
	}
	res, rest, err := get(t, http.MethodGet, u, "Range", fmt.Sprintf("bytes=%d-", len(part)))
	if err != nil || res.StatusCode != 206 || !bytes.Equal(append(part, rest...), want) {
		t.Fatalf("resume: %s %v", res.Status, err)
	}
	var f faults
	control(t, http.MethodGet, "/faults", "", &f)
	if f.CutAfterBytes != 0 {
		t.Fatalf("a one-time cut is still armed: %+v", f)
	}
}

func TestLeaseExpiresWithoutProgress(t *testing.T) {
	setFaults(t, `{"leaseTimeoutSec": 1}`)
	c, lease, info := exportOff(t)
	if info.LeaseTimeout != 1 {
		t.Fatalf("leaseTimeout %d", info.LeaseTimeout)
	}
	time.Sleep(2500 * time.Millisecond)
	l := leaseState(t, c, lease.Reference())
	if l.State != types.HttpNfcLeaseStateError || l.Error == nil {
		t.Fatalf("after the timeout: state %s, error %v", l.State, l.Error)
	}
	if _, ok := l.Error.Fault.(*types.Timedout); !ok {
		t.Fatalf("error %T", l.Error.Fault)
	}
	if res, _, _ := get(t, http.MethodGet, diskURL(info.DeviceUrl[0])); res.StatusCode != 404 {
		t.Fatalf("disk URL of an expired lease: %s", res.Status)
	}
	if _, ok := vimFault(lease.Progress(context.Background(), 50)).(types.Timedout); !ok {
		t.Fatal("Progress on an expired lease must fail with Timedout")
	}
}

func TestProgressKeepsLeaseAlive(t *testing.T) {
	setFaults(t, `{"leaseTimeoutSec": 1}`)
	c, lease, _ := exportOff(t)
	for i := 0; i < 5; i++ {
		time.Sleep(500 * time.Millisecond)
		if err := lease.Progress(context.Background(), int32(i*20)); err != nil {
			t.Fatal(err)
		}
	}
	if s := leaseState(t, c, lease.Reference()).State; s != types.HttpNfcLeaseStateReady {
		t.Fatalf("state %s after regular progress calls", s)
	}
	_ = lease.Complete(context.Background())
}

func TestAbort(t *testing.T) {
	c, lease, info := exportOff(t)
	if err := lease.Abort(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if l := leaseState(t, c, lease.Reference()); l.State != types.HttpNfcLeaseStateError {
		t.Fatalf("state after Abort: %s", l.State)
	}
	if res, _, _ := get(t, http.MethodGet, diskURL(info.DeviceUrl[0])); res.StatusCode != 404 {
		t.Fatalf("disk URL of an aborted lease: %s", res.Status)
	}
	var leases []leaseStatus
	control(t, http.MethodGet, "/leases", "", &leases)
	for _, l := range leases {
		if l.Moref == lease.Reference().Value && l.Outcome == "aborted" {
			return
		}
	}
	t.Fatalf("lease not listed as aborted: %+v", leases)
}

// TestCompleteCutsDownloadInFlight: when its lease ends, a download still running is cut.
func TestCompleteCutsDownloadInFlight(t *testing.T) {
	setFaults(t, `{"rateBytesPerSec": 524288}`)
	_, lease, info := exportOff(t)
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() {
		res, err := pinnedHTTP().Get(diskURL(info.DeviceUrl[0]))
		if err != nil {
			done <- result{0, err}
			return
		}
		body, err := ioutil.ReadAll(res.Body)
		res.Body.Close()
		done <- result{len(body), err}
	}()
	time.Sleep(500 * time.Millisecond)
	if err := lease.Complete(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err == nil || r.n >= int(ready.VMs[0].Disks[0].Size) {
		t.Fatalf("download went on after Complete: %d bytes, err %v", r.n, r.err)
	}
}

func TestInitializingThenReady(t *testing.T) {
	setFaults(t, `{"initDelayMs": 1500}`)
	c := login(t)
	start := time.Now()
	lease, err := findVM(t, c, ready.VMs[0].Path).Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l := leaseState(t, c, lease.Reference()); l.State != types.HttpNfcLeaseStateInitializing || l.Info != nil {
		t.Fatalf("new lease: state %s, info %v", l.State, l.Info)
	}
	readyLease(t, c, lease.Reference())
	if time.Since(start) < 1500*time.Millisecond {
		t.Fatal("ready before initDelayMs")
	}
	_ = lease.Complete(context.Background())
}

func TestRateLimit(t *testing.T) {
	setFaults(t, `{"rateBytesPerSec": 1048576}`)
	_, lease, info := exportOff(t)
	defer lease.Complete(context.Background())
	start := time.Now()
	res, body, err := get(t, http.MethodGet, diskURL(info.DeviceUrl[0]), "Range", "bytes=0-1048575")
	if took := time.Since(start); err != nil || len(body) != 1<<20 || took < 900*time.Millisecond || took > 3*time.Second {
		t.Fatalf("1 MiB at 1 MiB/s took %s (%s, %v)", took, res.Status, err)
	}
}

func TestControlRejectsUnknownSetting(t *testing.T) {
	res, err := pinnedHTTP().Post(ready.Control+"/faults", "application/json", strings.NewReader(`{"cutAfter": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("misspelt setting: %s", res.Status)
	}
}

func TestWrongPassword(t *testing.T) {
	u, _ := url.Parse(ready.URL)
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, ready.Thumbprint)
	c, err := vim25.NewClient(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	err = session.NewManager(c).Login(context.Background(), url.UserPassword(ready.Username, "wrong"))
	if _, ok := vimFault(err).(types.InvalidLogin); !ok {
		t.Fatalf("want InvalidLogin, got %v", err)
	}
}

// TestSnapshotTaskTakesTime: with snapshotTaskMs, CreateSnapshot_Task answers with a running
// task and no snapshot yet; the snapshot exists once the task has succeeded with it as result.
func TestSnapshotTaskTakesTime(t *testing.T) {
	// Long enough that the checks below run inside the task on a loaded machine; the test
	// only waits for it once.
	const taskMs = 2000
	setFaults(t, fmt.Sprintf(`{"snapshotTaskMs": %d}`, taskMs))
	ctx := context.Background()
	c := login(t)
	vm := findVM(t, c, ready.VMs[1].Path)
	started := time.Now()
	task, err := vm.CreateSnapshot(ctx, "slow", "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	// No upper bound of our own on the answer's time (a loaded machine is slow): only that it
	// came before the task's end, which the running state below checks too.
	if answered := time.Since(started); answered >= taskMs*time.Millisecond {
		t.Fatalf("CreateSnapshot_Task answered after %s, when the task was due to end", answered)
	}
	var running mo.Task
	if err := property.DefaultCollector(c).RetrieveOne(ctx, task.Reference(), []string{"info"}, &running); err != nil {
		t.Fatal(err)
	}
	var before mo.VirtualMachine
	if err := property.DefaultCollector(c).RetrieveOne(ctx, vm.Reference(), []string{"snapshot"}, &before); err != nil {
		t.Fatal(err)
	}
	if running.Info.State != types.TaskInfoStateRunning || before.Snapshot != nil {
		t.Fatalf("while the task runs: state %s, snapshot %+v", running.Info.State, before.Snapshot)
	}
	result, err := task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(started); took < taskMs*time.Millisecond {
		t.Fatalf("the task ended after %s, before snapshotTaskMs", took)
	}
	snap, ok := result.Result.(types.ManagedObjectReference)
	if !ok || snap.Type != "VirtualMachineSnapshot" {
		t.Fatalf("task result: %#v", result.Result)
	}
	var after mo.VirtualMachine
	if err := property.DefaultCollector(c).RetrieveOne(ctx, vm.Reference(), []string{"snapshot"}, &after); err != nil {
		t.Fatal(err)
	}
	if after.Snapshot == nil || len(after.Snapshot.RootSnapshotList) != 1 || after.Snapshot.RootSnapshotList[0].Snapshot != snap {
		t.Fatalf("snapshot tree after the task: %+v", after.Snapshot)
	}
	if _, err := vm.RemoveSnapshot(ctx, "slow", false, nil); err != nil {
		t.Fatal(err)
	}
}

// TestExportDelay: with exportDelayMs, ExportVm answers late, and a client that gave up still
// leaves a lease behind (the server went on with the call).
func TestExportDelay(t *testing.T) {
	setFaults(t, `{"exportDelayMs": 600}`)
	c := login(t)
	vm := findVM(t, c, ready.VMs[0].Path)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	var before []leaseStatus
	control(t, http.MethodGet, "/leases", "", &before)
	if _, err := vm.Export(ctx); err == nil {
		t.Fatal("ExportVm answered inside its delay")
	}
	// The server makes the lease once the delay is over: wait for it (a loaded machine may take
	// longer than the delay; 10 s is the limit of patience, not an expected time).
	var after []leaseStatus
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		control(t, http.MethodGet, "/leases", "", &after)
		if len(after) > len(before) || time.Now().After(deadline) {
			break
		}
	}
	if len(after) != len(before)+1 {
		t.Fatalf("want one new lease from the abandoned call, have %d then %d", len(before), len(after))
	}
	left := after[len(after)-1]
	ref := types.ManagedObjectReference{Type: "HttpNfcLease", Value: left.Moref}
	if err := nfc.NewLease(c, ref).Abort(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}
