package prober

import (
	"regexp"
	"strconv"
)

// What IIS and HTTP.sys error pages reveal: "HTTP Error 401.2 - Unauthorized"
// (IIS 7–10 detailed errors, IIS 6), "IIS 10.0 Detailed Error - 401.2 - ..."
// (the title), and HTTP.sys's own "HTTP Error 503. The service is unavailable."
var (
	iisErrorRe     = regexp.MustCompile(`HTTP Error ([1-5][0-9]{2})\.([0-9]{1,3}) - `)
	iisTitleRe     = regexp.MustCompile(`Detailed Error - ([1-5][0-9]{2})\.([0-9]{1,3}) - `)
	httpSysErrorRe = regexp.MustCompile(`HTTP Error ([1-5][0-9]{2})\. `)
)

// substatus finds the IIS substatus of status in an error page body; nil when
// the body does not reveal it (success pages, custom error pages, non-IIS
// servers). A page quoting another status is ignored.
func substatus(status int, body []byte) *int {
	for _, re := range []*regexp.Regexp{iisErrorRe, iisTitleRe} {
		if m := re.FindSubmatch(body); m != nil && atoi(m[1]) == status {
			sub := atoi(m[2])
			return &sub
		}
	}
	if m := httpSysErrorRe.FindSubmatch(body); m != nil && atoi(m[1]) == status {
		zero := 0 // HTTP.sys has no substatus: the IIS log would say 503 0
		return &zero
	}
	return nil
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}
