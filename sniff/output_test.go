//go:build unix

package sniff

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCreateOutput: -w makes new files, writes into FIFOs and character
// devices as they are, and refuses to touch anything else.
func TestCreateOutput(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new.pcap")
	f, created, err := CreateOutput(fresh)
	if err != nil || !created {
		t.Fatalf("a new name: %v, created %v", err, created)
	}
	f.Close()

	existing := filepath.Join(dir, "existing")
	os.WriteFile(existing, []byte("keep me"), 0o600)
	if _, _, err := CreateOutput(existing); err == nil || !strings.Contains(err.Error(), "does not overwrite") {
		t.Errorf("an existing file: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing file was changed: %q", b)
	}

	link := filepath.Join(dir, "link")
	os.Symlink(existing, link)
	if _, _, err := CreateOutput(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symbolic link to a file: %v", err)
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	if _, _, err := CreateOutput(dangling); err == nil {
		t.Errorf("a dangling symbolic link was followed")
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Errorf("a dangling link's target was created")
	}

	if _, _, err := CreateOutput(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("a directory: %v", err)
	}

	f, created, err = CreateOutput("/dev/null")
	if err != nil || created {
		t.Errorf("/dev/null: %v, created %v", err, created)
	} else {
		f.Close()
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, created, err = CreateOutput(fifo)
	if err != nil || created {
		t.Errorf("a FIFO: %v, created %v", err, created)
	} else {
		f.Close()
	}
}
