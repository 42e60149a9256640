package probes

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The streaming decode of a report reads exactly what the strict decode
// does, client list included.
func TestStreamedReportMatchesStrictDecode(t *testing.T) {
	files, _ := filepath.Glob("../testdata/collectors/report-*.json")
	docs := map[string]string{
		"clients null":        minimal(`"server":{`, `"clients":null,"server":{`),
		"items null":          minimal(`"server":{`, `"clients":{"complete":false,"items":null},"server":{`),
		"clients last, mixed": minimal(`"server":{"name":"wsus01"}`, `"server":{"name":"wsus01"},"Clients":{"Complete":true,"items":[{"name":"a","groups":["x"]},{"id":"{B}","name":"b"}]}`),
	}
	for _, f := range files {
		docs[filepath.Base(f)] = string(readFile(t, f))
	}
	if len(files) == 0 {
		t.Fatal("no collector example reports found")
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			streamed, err := streamReport([]byte(doc))
			if err != nil {
				t.Fatalf("streaming decode refused it: %v", err)
			}
			var strict Report
			if err := decodeStrict([]byte(doc), &strict); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(streamed, &strict) {
				t.Errorf("streamed %+v\nstrict   %+v", streamed, &strict)
			}
		})
	}
	for _, bad := range []string{minimal("", "") + "{}", `{"clients":{"items":[{"name":"a"}]}`, `{"clients":[]}`} {
		if _, err := streamReport([]byte(bad)); err == nil {
			t.Errorf("the streaming decode accepted %.60q", strings.TrimSpace(bad))
		}
	}
}
