package procmon

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// FuzzParse: any input gives a storable digest or a *probes.ValidationError,
// never a panic or a hang.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/denied-capture.csv", "testdata/denied-with-user.csv", "testdata/procmon-w3wp-denied-excerpt.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(header + `"1:00:00 AM","w3wp.exe","1","RegQueryValue","HKLM\SOFTWARE\x\y","ACCESS DENIED",""` + "\r\n"))
	f.Add([]byte(`"Result","Path","Operation","Process Name"` + "\n" + `"DENIED","\\fs\s\WsusContent\a","CreateFile","WsusService.exe"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || len(v.Errors) == 0 || v.Errors[0].Detail == "" {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return
		}
		if err := d.Validate(time.Time{}); err != nil {
			t.Fatalf("digest does not validate: %v", err)
		}
		if d.Kept > d.Denied || d.Denied > d.Rows {
			t.Fatalf("counts out of order: %+v", d)
		}
		var sum int64
		for _, g := range d.Groups {
			sum += g.Count
		}
		if sum+d.Unlisted != d.Kept {
			t.Fatalf("groups hold %d + %d unlisted rows; kept %d", sum, d.Unlisted, d.Kept)
		}
	})
}
