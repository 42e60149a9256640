package web_test

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// makeReadOnly makes a file impossible to write, even for root (tests run
// as root in CI): its mode, and the immutable attribute ("chattr +i").
func makeReadOnly(tb testing.TB, path string) {
	tb.Helper()
	if err := os.Chmod(path, 0o444); err != nil {
		tb.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return
	}
	const immutable = 0x10 // FS_IMMUTABLE_FL
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|immutable))
	}
	if err != nil {
		tb.Skipf("running as root, and the file system cannot make %s immutable: %v", path, err)
	}
	tb.Cleanup(func() {
		if f, err := os.Open(path); err == nil {
			unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^immutable))
			f.Close()
		}
	})
}
