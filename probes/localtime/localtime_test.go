package localtime

import (
	"testing"
	"time"
)

func TestParseText(t *testing.T) {
	cet := time.FixedZone("", 3600)
	cases := []struct {
		in    string
		order byte
		loc   *time.Location
		want  string // RFC 3339 UTC, "" when refused
	}{
		{"11/20/2026 9:10:00 AM", MDY, time.UTC, "2026-11-20T09:10:00Z"},
		{"11/20/2026 12:05:00 AM", MDY, time.UTC, "2026-11-20T00:05:00Z"},
		{"11/20/2026 1:05:00 PM", MDY, time.UTC, "2026-11-20T13:05:00Z"},
		{"20.11.2026 09:10:00", 0, cet, "2026-11-20T08:10:00Z"},
		{"20/11/2026 09:10:00", DMY, time.UTC, "2026-11-20T09:10:00Z"},
		{"2026-11-20T09:10:00.1234567Z", 0, cet, "2026-11-20T09:10:00.1234567Z"},
		{"2026-11-20T09:10:00.123", 0, cet, "2026-11-20T08:10:00.123Z"},
		{"2026/11/20 09:27:27.5000012", 0, time.UTC, "2026-11-20T09:27:27.5000012Z"},
		{"20.11.2026 09:10", 0, time.UTC, "2026-11-20T09:10:00Z"},
		{"31.04.2026 10:00:00", 0, time.UTC, ""},
		{"13/13/2026 10:00:00", 0, time.UTC, ""},
		{"20.11.1970 10:00:00", 0, time.UTC, ""},
		{"yesterday", 0, time.UTC, ""},
	}
	for _, tc := range cases {
		s, ok := ParseText(tc.in)
		got := ""
		if ok {
			if tm, ok := s.Time(tc.order, tc.loc); ok {
				got = tm.UTC().Format(time.RFC3339Nano)
			}
		}
		if got != tc.want {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.want)
		}
	}
	s, ok := Parse("2026-11-20", "10:20:29:524", "")
	if tm, _ := s.Time(0, time.UTC); !ok || tm.Format(time.RFC3339Nano) != "2026-11-20T10:20:29.524Z" {
		t.Errorf("WindowsUpdate.log stamp %v %v", tm, ok)
	}
}

func TestOrders(t *testing.T) {
	note := func(o *Orders, in ...string) {
		for _, v := range in {
			s, ok := ParseText(v)
			if !ok {
				t.Fatalf("%q not read", v)
			}
			o.Note(s)
		}
	}
	var o Orders
	note(&o, "03/11/2026 10:00:00", "04/11/2026 10:00:00")
	if o.Decide() != MDY {
		t.Errorf("with no evidence either way dates read month first, as en-US writes them")
	}
	note(&o, "25/11/2026 10:00:00")
	if o.Decide() != DMY || o.Mixed() {
		t.Errorf("a day above 12 decides day first")
	}
	var back Orders
	note(&back, "12/01/2026 10:00:00", "01/02/2026 10:00:00", "02/02/2026 10:00:00") // in order only day first
	if back.Decide() != DMY {
		t.Errorf("the reading that keeps the lines in order wins")
	}
}

func FuzzParseText(f *testing.F) {
	f.Add("11/20/2026 9:10:00 AM")
	f.Add("2026-11-20T09:10:00.1234567Z")
	f.Fuzz(func(t *testing.T, in string) {
		if s, ok := ParseText(in); ok {
			for _, o := range []byte{DMY, MDY} {
				if tm, ok := s.Time(o, time.UTC); ok && (tm.Year() < 1990 || tm.Year() > 2201) {
					t.Fatalf("%q read as %v", in, tm)
				}
			}
		}
	})
}
