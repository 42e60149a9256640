package wsuscsv

import (
	"testing"
	"time"
)

func TestParseStamp(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	}
	cases := []struct {
		in    string
		order string // to resolve a slash date with
		want  time.Time
	}{
		{"", "", time.Time{}},
		{"2026-11-20T22:00:05Z", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"2026-11-20T23:00:05+01:00", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"2026-11-20T22:00:05.1234567", "", utc(2026, 11, 20, 22, 0, 5, 123456700)},
		{"2026-11-20 22:00:05", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"2026-11-20 22:00", "", utc(2026, 11, 20, 22, 0, 0, 0)},
		{"2026-11-20", "", utc(2026, 11, 20, 0, 0, 0, 0)},
		{"2026/11/20 22:00:05", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"2026/11/20 10:00:05 PM", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"11/20/2026 10:00:05 PM", MDY, utc(2026, 11, 20, 22, 0, 5, 0)},
		{"11/3/2026 12:00:00 AM", MDY, utc(2026, 11, 3, 0, 0, 0, 0)},
		{"11/3/2026 12:30:00 PM", MDY, utc(2026, 11, 3, 12, 30, 0, 0)},
		{"3/11/2026 12:30:00 pm", DMY, utc(2026, 11, 3, 12, 30, 0, 0)},
		{"20/11/2026 22:00:05", DMY, utc(2026, 11, 20, 22, 0, 5, 0)},
		{"20/11/2026 10:00:05 p. m.", DMY, utc(2026, 11, 20, 22, 0, 5, 0)},
		{"20/11/2026 10:00 a.m.", DMY, utc(2026, 11, 20, 10, 0, 0, 0)},
		{"20.11.2026 22:00:05", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"20.11.2026, 22:00:05", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"2.9.2026 7:45", "", utc(2026, 9, 2, 7, 45, 0, 0)},
		{"20-11-2026 22:00:05", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"20.11.2026 22.00.05", "", utc(2026, 11, 20, 22, 0, 5, 0)},
		{"20.11.2026 22:00:05.5", "", utc(2026, 11, 20, 22, 0, 5, 500000000)},
		{"20/11/2026", DMY, utc(2026, 11, 20, 0, 0, 0, 0)},
		// WSUS "never" and epoch artefacts.
		{"1/1/0001 12:00:00 AM", "", time.Time{}},
		{"01.01.0001 00:00:00", "", time.Time{}},
		{"0001-01-01T00:00:00", "", time.Time{}},
		{"1753-01-01 00:00:00.000", "", time.Time{}},
		{"01/01/1970 00:00:00", "", time.Time{}},
		{"12/31/1989 11:59:59 PM", "", time.Time{}},
		{"1970-01-01T00:00:00Z", "", time.Time{}},
	}
	for _, tc := range cases {
		st, err := parseStamp(tc.in)
		if err == nil && tc.order != "" {
			st, err = st.resolve(tc.order)
		}
		if err != nil || st.pending || !st.t.Equal(tc.want) {
			t.Errorf("parseStamp(%q) = %v pending=%v, %v; want %v", tc.in, st.t, st.pending, err, tc.want)
		}
	}
	for _, bad := range []string{"tomorrow", "20/11/26 22:00", "2026-13-01", "2026-11-20T25:00:00", "20.13.2026", "31.02.2026",
		"13:00 PM", "20/11/2026 13:00:00 PM", "20/11/2026 0:00 AM", "20/11/2026 10:00 XM", "20/11/2026 24:00", "20/11/2026 10:61",
		"20/11/2026 10", "1/2/3/2026", "120/11/2026", "20/11/02026", "2026/11/20 x", "-1/11/2026", "20.11.2026 22:00:05.1234567890"} {
		if st, err := parseStamp(bad); err == nil {
			if st.pending {
				if _, err := st.resolve(DMY); err == nil {
					t.Errorf("parseStamp(%q) resolved as dmy; want a refusal", bad)
				}
				continue
			}
			t.Errorf("parseStamp(%q) = %v; want a refusal", bad, st.t)
		}
	}
}

func TestStampOrder(t *testing.T) {
	for in, want := range map[string]string{
		"25/11/2026 10:00": DMY, "11/25/2026 10:00": MDY, "3/4/2026": "?", "4/4/2026": "", "20.11.2026": "",
		"2026-11-20": "", "1/1/0001 12:00:00 AM": "", "25/13/2026": "",
	} {
		st, err := parseStamp(in)
		if err != nil {
			t.Fatalf("parseStamp(%q): %v", in, err)
		}
		if got := st.order(); got != want {
			t.Errorf("order(%q) = %q; want %q", in, got, want)
		}
	}
}
