package wsuscsv

import (
	"bytes"
	"fmt"
	"testing"
)

// benchExport is a Get-WsusComputer -All | Export-Csv of n computers on an
// en-GB server: #TYPE line, every property, day-first dates.
func benchExport(n int) []byte {
	var b bytes.Buffer
	b.WriteString("#TYPE Microsoft.UpdateServices.Internal.BaseApi.ComputerTarget\r\n")
	b.WriteString(`"UpdateServer","Id","FullDomainName","IPAddress","Make","Model","BiosInfo","OSInfo","OSArchitecture","ClientVersion","OSFamily","OSDescription","ComputerRole","LastSyncTime","LastSyncResult","LastReportedStatusTime","LastReportedInventoryTime","RequestedTargetGroupName","RequestedTargetGroupNames","ComputerTargetGroupIds","ParentServerId","SyncsFromDownstreamServer"` + "\r\n")
	for i := range n {
		day := 1 + i%28
		fmt.Fprintf(&b, `"Microsoft.UpdateServices.Internal.BaseApi.UpdateServer","%08x-0000-4000-8000-%012x","wks-%06d.corp.example","10.%d.%d.%d","Dell Inc.","OptiPlex 7090","Microsoft.UpdateServices.Administration.BiosInfo","Microsoft.UpdateServices.Administration.OSInfo","AMD64","10.0.22621.4391","Windows","Windows 11 Enterprise","Workstation","%02d/%02d/2026 %02d:%02d:05","Succeeded","%02d/%02d/2026 %02d:%02d:00","%02d/10/2026 03:14:15","Workstations","System.Collections.Specialized.StringCollection","System.Collections.Generic.List`+"`"+`1[System.Guid]","00000000-0000-0000-0000-000000000000","False"`+"\r\n",
			i, i, i, (i>>16)&255, (i>>8)&255, i&255, day, 1+i%10, i%24, i%60, day, 1+i%10, (i+1)%24, i%60, day)
	}
	return b.Bytes()
}

func BenchmarkParse100k(b *testing.B) {
	data := benchExport(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse(bytes.NewReader(data), Options{Now: testNow})
		if err != nil || len(res.Clients.Items) != 100_000 || res.DateOrder != DMY {
			b.Fatal(err)
		}
	}
}
