package sim

import (
	"html"
	"net/http"
	"path"
	"strings"
)

// asmxHelpPage is the page ASP.NET renders for a GET of an .asmx web service:
// the service name and its operations.
func asmxHelpPage(r *http.Request, svc *service) answer {
	file := path.Base(r.URL.Path)
	var b strings.Builder
	b.WriteString("\r\n\r\n<html>\r\n\r\n    <head><link rel=\"alternate\" type=\"text/xml\" href=\"")
	b.WriteString(html.EscapeString(r.URL.EscapedPath()))
	b.WriteString("?disco\" />\r\n\r\n    <style type=\"text/css\">\r\n\r\n" +
		"\t\tBODY { color: #000000; background-color: white; font-family: Verdana; margin-left: 0px; margin-top: 0px; }\r\n" +
		"\t\t#content { margin-left: 30px; font-size: .70em; padding-bottom: 2em; }\r\n" +
		"\t\tA:link { color: #336699; font-weight: bold; text-decoration: underline; }\r\n" +
		"\t\t.heading1 { color: #ffffff; font-family: Tahoma; font-size: 26px; font-weight: normal; background-color: #003366; " +
		"margin-top: 0px; margin-bottom: 0px; margin-left: -30px; padding-top: 10px; padding-bottom: 3px; padding-left: 15px; width: 105%; }\r\n" +
		"\t\t.intro { margin-left: -15px; }\r\n\r\n    </style>\r\n\r\n    <title>\r\n\t")
	b.WriteString(svc.name)
	b.WriteString(" Web Service\r\n</title></head>\r\n\r\n  <body>\r\n\r\n    <div id=\"content\">\r\n\r\n      <p class=\"heading1\">")
	b.WriteString(svc.name)
	b.WriteString("</p><br>\r\n\r\n      <span>\r\n          <p class=\"intro\">The following operations are supported.  " +
		"For a formal definition, please review the <a href=\"")
	b.WriteString(html.EscapeString(file))
	b.WriteString("?WSDL\">Service Description</a>. </p>\r\n\r\n          <ul>\r\n")
	for _, op := range svc.ops {
		b.WriteString("            <li>\r\n              <a href=\"" + html.EscapeString(file) + "?op=" + op + "\">" + op + "</a>\r\n            </li>\r\n")
	}
	b.WriteString("          </ul>\r\n      </span>\r\n\r\n    </div>\r\n\r\n  </body>\r\n</html>\r\n")
	return answer{
		status: http.StatusOK,
		header: http.Header{
			"Content-Type":     {"text/html; charset=utf-8"},
			"Cache-Control":    {"private"},
			"X-AspNet-Version": {"4.0.30319"},
		},
		body: b.String(),
	}
}

// staticFile is IIS's StaticFile handler answer.
func staticFile(contentType, body string) answer {
	return answer{
		status: http.StatusOK,
		header: http.Header{
			"Content-Type":  {contentType},
			"Last-Modified": {"Tue, 08 Oct 2024 17:21:44 GMT"},
			"Accept-Ranges": {"bytes"},
			"ETag":          {`"80e1b0a4a819db1:0"`},
		},
		body: body,
	}
}

// movedPermanently is IIS's courtesy redirect for a folder named without its
// trailing slash: an absolute Location on the same host.
func movedPermanently(r *http.Request) answer {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	loc := scheme + "://" + r.Host + r.URL.EscapedPath() + "/"
	return answer{
		status: http.StatusMovedPermanently,
		header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}, "Location": {loc}},
		body: "<head><title>Document Moved</title></head>\n<body><h1>Object Moved</h1>This document may be found <a HREF=\"" +
			html.EscapeString(loc) + "\">here</a></body>",
	}
}

// serverVersionXML approximates ClientWebService/wusserverversion.xml; clients
// only need it to be there.
const serverVersionXML = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n" +
	"<ServerVersion xmlns=\"http://www.microsoft.com/SoftwareDistribution/Server\">\r\n" +
	"  <ProductVersion>10.0.17763.1</ProductVersion>\r\n" +
	"  <ProtocolVersion>3.2</ProtocolVersion>\r\n" +
	"</ServerVersion>\r\n"

// cabBody is a small stand-in for a cabinet file: the "MSCF" signature and a
// header-shaped tail. Nothing parses it.
const cabBody = "MSCF\x00\x00\x00\x00\x60\x00\x00\x00\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x00\x00\x00\x03\x01\x01\x00\x01\x00\x00\x00" +
	"\x00\x00\x00\x00\x44\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x69\x52\x9d\x5a\x20\x00wuident.txt\x00"

const inventoryPage = "<html><head><title>Inventory</title></head><body></body></html>\r\n"
