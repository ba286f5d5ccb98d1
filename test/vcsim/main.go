// Command vcsim-harness runs VMware's vCenter simulator (govmomi 0.24.2, VPX model) with the
// export side of the vSphere API that vcsim lacks: ExportVm, ExportSnapshot, a real
// HttpNfcLease, OvfManager.CreateDescriptor and NFC disk downloads of real streamOptimized VMDKs,
// plus fault injection for tests. See README.md.
//
// Everything is added from outside package simulator: a front http.Handler (front.go) sits
// before vcsim's mux, answers the disk URLs and the control API itself, and points the SOAP
// methods vcsim lacks at helper objects registered in vcsim's own registry (rewrite.go), so
// vcsim still does sessions, faults and the SOAP envelope for them.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

// options are the command-line flags.
type options struct {
	port        int
	username    string
	password    string
	offDiskMB   []int
	onDiskMB    []int
	workParent  string
	keepWorkDir bool
	stdinExit   bool
	trace       bool
	startFaults faults
}

func parseFlags() (*options, error) {
	o := &options{}
	var offDisks, onDisks string
	flag.IntVar(&o.port, "port", 0, "port to listen on (127.0.0.1 only); 0 picks a free one")
	flag.StringVar(&o.username, "username", "user", "login user name")
	flag.StringVar(&o.password, "password", "pass", "login password")
	flag.StringVar(&offDisks, "disk-mb", "32,16", "disk sizes in MiB of the powered-off VM "+offVMPath)
	flag.StringVar(&onDisks, "running-disk-mb", "8", "disk sizes in MiB of the powered-on VM "+onVMPath)
	flag.StringVar(&o.workParent, "workdir", "", "folder in which to create the work dir (default: the system temp dir)")
	flag.BoolVar(&o.keepWorkDir, "keep-workdir", false, "do not remove the work dir on exit")
	flag.BoolVar(&o.trace, "trace", false, "log every SOAP request and response to stderr")
	flag.BoolVar(&o.stdinExit, "exit-on-stdin-close", false, "also shut down when standard input closes (so a test runner that dies leaves no harness behind)")
	f := &o.startFaults
	flag.Int64Var(&f.CutAfterBytes, "cut-after", 0, "cut a disk download's connection after N body bytes (0: never)")
	flag.BoolVar(&f.CutEvery, "cut-every", false, "cut every download at -cut-after, not only the first")
	flag.Int64Var(&f.RateBytesPerSec, "rate", 0, "limit each disk download to N bytes/s (0: unlimited)")
	flag.IntVar(&f.LeaseTimeoutSec, "lease-timeout", 300, "seconds without HttpNfcLeaseProgress before a lease expires")
	flag.IntVar(&f.InitDelayMs, "init-delay", 100, "milliseconds a new lease stays in state initializing")
	flag.BoolVar(&f.Stream, "stream", false, "serve disks like ESXi: chunked, no Content-Length, Range ignored")
	flag.Parse()

	var err error
	if o.offDiskMB, err = parseSizes(offDisks); err != nil {
		return nil, fmt.Errorf("-disk-mb: %v", err)
	}
	if o.onDiskMB, err = parseSizes(onDisks); err != nil {
		return nil, fmt.Errorf("-running-disk-mb: %v", err)
	}
	if err = f.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// parseSizes reads "64,32" as [64 32]; every VM keeps at least one disk.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, field := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a list of positive sizes in MiB", s)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// readyLine is the one JSON line printed to stdout once the harness serves requests.
type readyLine struct {
	URL           string   `json:"url"`
	Username      string   `json:"username"`
	Password      string   `json:"password"`
	Thumbprint    string   `json:"thumbprint"`
	Thumbprint256 string   `json:"thumbprint256"`
	VMs           []vmInfo `json:"vms"`
	Control       string   `json:"control"`
	WorkDir       string   `json:"workDir"`
}

func main() {
	log.SetPrefix("vcsim-harness: ")
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vcsim-harness:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func run(o *options) error {
	// From the start, so that a signal during start-up still ends in the cleanup below.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	workDir, err := os.MkdirTemp(o.workParent, "vcsim-harness-")
	if err != nil {
		return err
	}
	cleanup := func() {
		if !o.keepWorkDir {
			_ = os.RemoveAll(workDir)
		}
	}
	defer cleanup()

	cert, err := newSelfSignedCert()
	if err != nil {
		return err
	}

	// Listen first so that the address is known before the inventory is built.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.port)))
	if err != nil {
		return err
	}
	host := ln.Addr().String()

	simulator.Trace = o.trace
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		return err
	}
	defer model.Remove() // vcsim's datastore folders
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(o.username, o.password)}
	// NewServer registers vcsim's handlers on its mux; we serve that mux behind our front
	// handler on our own listener and close vcsim's listener at once.
	sim := model.Service.NewServer()
	simHandler := sim.Config.Handler
	sim.Close()
	simulator.Map.SessionManager().ServiceHostName = host // vcsim had put its own listener's address there
	for _, setting := range simulator.Map.OptionManager().Setting {
		if opt := setting.GetOptionValue(); opt.Key == "vcsim.server.url" {
			opt.Value = "https://" + host + "/sdk"
		}
	}

	h := newHarness(cert, o.startFaults)
	vms, err := h.prepareInventory(context.Background(), model.Service, workDir, o.offDiskMB, o.onDiskMB)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:   h.front(simHandler),
		TLSConfig: cert.tlsConfig(),
		// vCenter and ESXi speak HTTP/1.1 on /sdk and /nfc; so do we.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(quietTLSErrors{}, "vcsim-harness: http: ", 0),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ServeTLS(ln, "", "") }()

	line, _ := json.Marshal(readyLine{
		URL:           "https://" + host + "/sdk",
		Username:      o.username,
		Password:      o.password,
		Thumbprint:    cert.thumbprintSHA1,
		Thumbprint256: cert.thumbprintSHA256,
		VMs:           vms,
		Control:       "https://" + host + controlPrefix,
		WorkDir:       workDir,
	})
	fmt.Println(string(line))

	if o.stdinExit {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGHUP
		}()
	}
	select {
	case sig := <-stop:
		log.Printf("%s: shutting down", sig)
	case err := <-serveErr:
		return err
	}
	h.endAllLeases()
	_ = srv.Close()
	return nil
}

// quietTLSErrors drops http.Server's "TLS handshake error" lines: govmomi's client first tries a
// CA-verified handshake and only then pins the thumbprint, so every session logs one.
type quietTLSErrors struct{}

func (quietTLSErrors) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("TLS handshake error")) {
		return len(p), nil
	}
	return os.Stderr.Write(p)
}
