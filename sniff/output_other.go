//go:build !unix

package sniff

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// CreateOutput opens the -w file: a new file only; pktop does not
// overwrite files it did not create.
func CreateOutput(path string) (*os.File, bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		return f, true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		return nil, false, fmt.Errorf("-w %s: the file exists, and pktop does not overwrite files it did not create (remove it, or give a new name)", path)
	}
	return nil, false, fmt.Errorf("-w %s: %v", path, err)
}
