package main

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const mib = 1 << 20

// servedDisk is one generated disk: a raw image with known content and the streamOptimized
// VMDK made from it, which the NFC URLs serve byte for byte.
type servedDisk struct {
	VMDK      string // path of the streamOptimized VMDK
	Raw       string // path of the raw image it was converted from
	Size      int64  // bytes of the VMDK file, i.e. of every full download
	Capacity  int64  // bytes of the virtual disk
	Populated int64  // bytes of the raw image that are not zero
	SHA1      string // lower-case hex digests of the VMDK file, for HttpNfcLeaseGetManifest
	SHA256    string
}

// generateDisk writes a raw image of sizeMB MiB whose content depends only on (ordinal, block
// number), so any test can regenerate or check it, and converts it with qemu-img, as an ESXi
// host would serve the disk. Every fourth MiB is zero so that the VMDK has holes like a real one.
func generateDisk(dir, name string, sizeMB, ordinal int) (*servedDisk, error) {
	d := &servedDisk{
		Raw:      filepath.Join(dir, name+".raw"),
		VMDK:     filepath.Join(dir, name+".vmdk"),
		Capacity: int64(sizeMB) * mib,
	}
	if err := d.writeRaw(sizeMB, ordinal); err != nil {
		return nil, err
	}
	cmd := exec.Command("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", d.Raw, d.VMDK)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("qemu-img convert %s: %v: %s", d.Raw, err, strings.TrimSpace(string(out)))
	}
	return d, d.hash()
}

func (d *servedDisk) writeRaw(sizeMB, ordinal int) error {
	f, err := os.Create(d.Raw)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, mib)
	block := make([]byte, mib)
	for i := 0; i < sizeMB; i++ {
		if fillBlock(block, ordinal, i) {
			d.Populated += mib
		}
		if _, err := w.Write(block); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fillBlock fills MiB number n of disk number ordinal and reports whether it is non-zero:
// two MiB of pseudo-random data (incompressible, like real data), one of repeated text
// (readable in a hex dump), one of zeros.
func fillBlock(b []byte, ordinal, n int) bool {
	switch n % 4 {
	case 0, 1:
		state := uint64(ordinal)<<32 | uint64(n)
		for i := 0; i+8 <= len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], splitmix64(&state))
		}
	case 2:
		text := fmt.Sprintf("HyperExport vcsim harness: disk %d, MiB %d\n", ordinal, n)
		for i := 0; i < len(b); {
			i += copy(b[i:], text)
		}
	default:
		for i := range b {
			b[i] = 0
		}
		return false
	}
	return true
}

// splitmix64 is a tiny, well-known PRNG: deterministic across platforms and Go versions.
func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (d *servedDisk) hash() error {
	f, err := os.Open(d.VMDK)
	if err != nil {
		return err
	}
	defer f.Close()
	s1, s256 := sha1.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(s1, s256), f)
	if err != nil {
		return err
	}
	d.Size = n
	d.SHA1 = hex.EncodeToString(s1.Sum(nil))
	d.SHA256 = hex.EncodeToString(s256.Sum(nil))
	return nil
}

// requireQemuImg fails early, naming the Debian package, instead of failing in the middle.
func requireQemuImg() error {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		return fmt.Errorf("qemu-img not found: install the Debian package qemu-utils")
	}
	return nil
}
