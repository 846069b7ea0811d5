// Command hostile writes the crafted captures of internal/synth's
// HostileSet into a directory, and lists them (name, packets a reader
// must count, whether it must report damage, what the file does) for
// bench/hostile.sh.
//
// Usage: hostile -dir /tmp/pktop-hostile [-div 1] [-run REGEXP]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/pktop/pktop/internal/synth"
)

func main() {
	dir := flag.String("dir", "hostile", "where to write the captures")
	div := flag.Int("div", 1, "divide the sizes by this")
	run := flag.String("run", "", "only the captures whose names match this")
	force := flag.Bool("force", false, "write captures that are already there")
	flag.Parse()
	re, err := regexp.Compile(*run)
	if err == nil {
		err = os.MkdirAll(*dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(2)
	}
	for _, h := range synth.HostileSet(*div) {
		if !re.MatchString(h.Name) {
			continue
		}
		path := filepath.Join(*dir, h.Name)
		if _, err := os.Stat(path); err != nil || *force {
			if err := write(path, &h); err != nil {
				fmt.Fprintln(os.Stderr, "hostile:", err)
				os.Exit(1)
			}
		}
		fmt.Printf("%s\t%d\t%v\t%s\n", h.Name, h.Packets, h.Damaged, h.What)
	}
}

func write(path string, h *synth.Hostile) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	err = h.WriteFile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	return err
}
