//go:build unix

package sniff

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// CreateOutput opens the -w file. It never changes the owner or the
// contents of a file pktop did not create:
//   - a name that does not exist is created (O_EXCL: never a file that
//     appeared meanwhile), and created says so: only such a file may be
//     handed to the user pktop drops to;
//   - a FIFO or a character device (/dev/null, a pipe to another program)
//     is opened for writing as it is, never truncated nor chowned;
//   - an existing regular file, a symbolic link, a directory, a block
//     device or a socket is refused, with a one-line reason.
func CreateOutput(path string) (f *os.File, created bool, err error) {
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, false, fmt.Errorf("-w %s: %v", path, unwrapPath(err))
	}
	st, err := os.Lstat(path)
	if err != nil {
		return nil, false, fmt.Errorf("-w %s: %v", path, unwrapPath(err))
	}
	if err := outputKind(path, st.Mode()); err != nil {
		return nil, false, err
	}
	f, err = os.OpenFile(path, os.O_WRONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false, fmt.Errorf("-w %s: %v", path, unwrapPath(err))
	}
	// The name may have been swapped for something else meanwhile.
	if st, err = f.Stat(); err != nil || outputKind(path, st.Mode()) != nil {
		f.Close()
		return nil, false, fmt.Errorf("-w %s: changed while pktop opened it", path)
	}
	return f, false, nil
}

// outputKind says whether an existing file of mode m may take -w.
func outputKind(path string, m fs.FileMode) error {
	switch {
	case m&fs.ModeNamedPipe != 0, m&fs.ModeCharDevice != 0:
		return nil
	case m.IsRegular():
		return fmt.Errorf("-w %s: the file exists, and pktop does not overwrite files it did not create (remove it, or give a new name)", path)
	case m&fs.ModeSymlink != 0:
		return fmt.Errorf("-w %s: is a symbolic link, which pktop does not follow (give the path of the file itself)", path)
	case m.IsDir():
		return fmt.Errorf("-w %s: is a directory", path)
	}
	return fmt.Errorf("-w %s: is not a file pktop writes to (a new file, a FIFO or a character device)", path)
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
