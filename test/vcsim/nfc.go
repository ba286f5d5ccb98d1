package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

const nfcPrefix = "/nfc/"

// serveNFC answers a disk URL of one of the harness's leases, /nfc/<token>/disk-N.vmdk, and
// reports false for any other /nfc/ path (vcsim's own import leases), which vcsim then answers.
//
// Two modes, switchable at run time:
//   - file mode (default): Content-Length, Accept-Ranges, Range answered with 206 and
//     Content-Range (http.ServeContent), HEAD with the length;
//   - stream mode, like an ESXi host that makes the streamOptimized VMDK on the fly: no
//     Content-Length, chunked encoding, Range ignored (200 and the whole body).
//
// A URL works only while its lease is ready: 404 before, and after Complete, Abort or expiry;
// a download in flight when the lease ends is cut.
func (h *harness) serveNFC(w http.ResponseWriter, r *http.Request) bool {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, nfcPrefix), "/")
	if len(parts) != 2 {
		return false
	}
	l := h.leaseByToken(parts[0])
	if l == nil {
		return false
	}
	var disk *leaseDisk
	for _, d := range l.disks {
		if d.name == parts[1] {
			disk = d
		}
	}
	if disk == nil || !l.isServing() {
		http.NotFound(w, r)
		return true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "export leases serve GET and HEAD only", http.StatusMethodNotAllowed)
		return true
	}
	f, err := os.Open(disk.content.VMDK)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return true
	}
	defer f.Close()

	now := h.faults.get()
	fw := &faultWriter{ResponseWriter: w, store: h.faults, cutAt: now.CutAfterBytes, rate: now.RateBytesPerSec,
		start: time.Now(), lease: l.transfers, request: r.Context()}
	// Runs also when a cut panics out of the handler.
	defer func() { l.addServed(fw.written) }()

	w.Header().Set("Content-Type", "application/octet-stream")
	if !now.Stream {
		http.ServeContent(fw, r, disk.name, time.Time{}, f)
		return true
	}
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush() // headers out now, without Content-Length: the body goes chunked
	if r.Method == http.MethodHead {
		return true
	}
	buf := make([]byte, 64*1024)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := fw.Write(buf[:n]); werr != nil {
				return true
			}
		}
		if err != nil {
			return true
		}
	}
}

// faultWriter applies the fault settings to a response body: it cuts the connection after
// cutAt bytes or when the lease ends, and paces writes to rate bytes/s.
type faultWriter struct {
	http.ResponseWriter
	store   *faultStore
	cutAt   int64 // 0: no cut
	rate    int64 // 0: unlimited
	start   time.Time
	written int64
	lease   context.Context
	request context.Context
}

func (fw *faultWriter) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		piece := p
		if max := fw.pieceSize(); len(piece) > max {
			piece = piece[:max]
		}
		if fw.cutAt > 0 && fw.written+int64(len(piece)) >= fw.cutAt {
			piece = piece[:fw.cutAt-fw.written]
		}
		n, err := fw.write(piece)
		total += n
		if err != nil {
			return total, err
		}
		p = p[n:]
		if fw.cutAt > 0 && fw.written >= fw.cutAt {
			fw.cut()
		}
		fw.pace()
	}
	return total, nil
}

func (fw *faultWriter) write(p []byte) (int, error) {
	if fw.lease.Err() != nil {
		log.Printf("nfc: lease ended, cutting the download after %d bytes", fw.written)
		panic(http.ErrAbortHandler)
	}
	n, err := fw.ResponseWriter.Write(p)
	fw.written += int64(n)
	return n, err
}

// cut closes the connection without ending the body, so the client sees a truncated transfer;
// a one-time cut is taken by the first download that reaches it.
func (fw *faultWriter) cut() {
	fw.cutAt = 0
	if !fw.store.takeCut() {
		return
	}
	fw.ResponseWriter.(http.Flusher).Flush() // the first N bytes do reach the client
	log.Printf("nfc: injected cut after %d bytes", fw.written)
	// http.Server closes the connection, without logging, on this panic value.
	panic(http.ErrAbortHandler)
}

// pieceSize keeps each paced write to about a tenth of a second of data.
func (fw *faultWriter) pieceSize() int {
	if fw.rate == 0 || fw.rate/10 > 1<<20 {
		return 1 << 20
	}
	if fw.rate/10 < 1024 {
		return 1024
	}
	return int(fw.rate / 10)
}

func (fw *faultWriter) pace() {
	if fw.rate == 0 {
		return
	}
	due := fw.start.Add(time.Duration(float64(fw.written) / float64(fw.rate) * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return
	}
	fw.ResponseWriter.(http.Flusher).Flush() // let the client see the bytes it was paced for
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-fw.lease.Done():
	case <-fw.request.Done():
	}
}

func (fw *faultWriter) Flush() { fw.ResponseWriter.(http.Flusher).Flush() }
