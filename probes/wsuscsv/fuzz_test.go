package wsuscsv

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

// FuzzParse: any input gives clients that validate or a
// *probes.ValidationError, never a panic or a hang.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"export-csv-typed.csv", "get-wsuscomputer-table.txt", "computers-en-us.csv", "computers-de-de.csv", "get-wsuscomputer-list.txt"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	f.Add([]byte(hdr+line("a", "pc1", "03/04/2026 10:00:00", "", "15/04/2026 10:00:00 PM", "a0a08746-4dbe-4a37-9adf-9e7652c0b421")), "")
	f.Add([]byte(hdr+line("a", "pc1", "03/04/2026 10:00:00", "", "05/04/2026", "")), "dmy")
	f.Fuzz(func(t *testing.T, data []byte, order string) {
		if order != "" && order != DMY && order != MDY {
			order = ""
		}
		res, err := Parse(strings.NewReader(string(data)), Options{DateOrder: order, Now: testNow})
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || len(v.Errors) == 0 || v.Errors[0].Detail == "" {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return
		}
		rows := make([]*row, len(res.Clients.Items))
		for i := range rows {
			rows[i] = &row{}
		}
		if err := validate(res.Clients, rows, testNow); err != nil {
			t.Fatalf("clients do not validate: %v", err)
		}
	})
}
