package procmon

import (
	"bytes"
	"fmt"
	"testing"
)

// benchCapture builds a realistic capture of n rows: mostly successes of many
// processes, a few percent denials of the WSUS processes across a few hundred
// paths, as a restart of W3SVC and WsusService produces.
func benchCapture(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf" + header)
	procs := []string{"svchost.exe", "w3wp.exe", "WsusService.exe", "sqlservr.exe", "MsMpEng.exe", "lsass.exe"}
	for i := range n {
		proc := procs[i%len(procs)]
		result, path := "SUCCESS", fmt.Sprintf(`C:\Windows\System32\file%05d.dll`, i%5000)
		if i%25 == 0 {
			result = "ACCESS DENIED"
			path = fmt.Sprintf(`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\%08x\x.dll`, i%300)
		}
		fmt.Fprintf(&b, "\"%d:%02d:%02d.%07d AM\",\"%s\",\"%d\",\"CreateFile\",\"%s\",\"%s\",\"Desired Access: Read Data/List Directory, Synchronize, Disposition: Open, Options: Directory, Synchronous IO Non-Alert, Attributes: n/a, ShareMode: Read, Write, Delete\"\r\n",
			10, (i/60000)%60, (i/1000)%60, i%10000000, proc, 600+i%7, path, result)
	}
	return b.Bytes()
}

func BenchmarkParse100k(b *testing.B) {
	data := benchCapture(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(bytes.NewReader(data))
		if err != nil || d.Rows != 100_000 {
			b.Fatal(err)
		}
	}
}
