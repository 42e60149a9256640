package sim

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// iisError is one entry of IIS 10's error catalogue, with what its detailed
// error page says. The texts follow the pages IIS 10 renders, shortened.
type iisError struct {
	status, sub  int
	summary      string   // the <h4> under "HTTP Error 401.2 - Unauthorized"
	causes       []string // "Most likely causes"
	tries        []string // "Things you can try"
	module       string
	notification string
	code         string // HRESULT
	logon        string // logon method and user
	challenge    bool   // IIS offers WWW-Authenticate: Negotiate and NTLM
	more         string
}

// iisCatalogue returns the error IIS produces for status.sub.
func iisCatalogue(status, sub int) iisError {
	e := iisError{status: status, sub: sub, module: "IIS Web Core", logon: "Anonymous"}
	switch {
	case status == 401 && sub == 1:
		e.summary = "You do not have permission to view this directory or page using the credentials that you supplied."
		e.causes = []string{"The username supplied to IIS is invalid.", "The password supplied to IIS was not typed correctly.", "Incorrect credentials were cached by the client browser."}
		e.tries = []string{"Verify that the username and password are correct, and are not cached by the client browser.", "Check the anonymous authentication identity: the account may be locked out or its password changed."}
		e.notification, e.code, e.logon = "AuthenticateRequest", "0xc000006d", "Not yet determined"
		e.more = "This error occurs when the anonymous identity configured for the resource cannot log on."
	case status == 401 && sub == 2:
		e.summary = "You are not authorized to view this page due to invalid authentication headers."
		e.causes = []string{"No authentication protocol (including anonymous) is selected in IIS.", "Only integrated authentication is enabled, and a client browser was used that does not support integrated authentication.", "The Web server is not configured for anonymous access and a required authorization header was not received."}
		e.tries = []string{"Verify the authentication setting for the resource and then try requesting the resource using that authentication method.", "Verify that the client browser supports Integrated authentication."}
		e.notification, e.code, e.logon = "AuthenticateRequest", "0x80070005", "Not yet determined"
		e.challenge = true
		e.more = "This error occurs when the WWW-Authenticate header sent to the Web server is not supported by the server configuration. Check the authentication method for the resource, and verify which authentication method the client used."
	case status == 401 && sub == 3:
		e.summary = "You do not have permission to view this directory or page because of the access control list (ACL) configuration or encryption settings for this resource on the Web server."
		e.causes = []string{"The authenticated user does not have access to a resource needed to process the request."}
		e.tries = []string{"Ensure that the NTFS permissions for the web directory are correct and permit access.", "Verify the authentication setting for the resource."}
		e.module, e.notification, e.code = "StaticFileModule", "ExecuteRequestHandler", "0x80070005"
		e.more = "This error occurs when the server cannot read the requested resource because of file system permissions."
	case status == 403 && sub == 4:
		e.summary = "The page you are trying to access is secured with Secure Sockets Layer (SSL)."
		e.causes = []string{"SSL is required to view this resource."}
		e.tries = []string{"Request the page over https, or clear Require SSL on the site or application."}
		e.notification, e.code = "BeginRequest", "0x80070005"
	case status == 403 && sub == 7:
		e.summary = "The page you are attempting to access requires your browser to have a Secure Sockets Layer (SSL) client certificate that the Web server recognizes."
		e.causes = []string{"The SSL settings of the resource require a client certificate."}
		e.tries = []string{"Set the client certificate setting of the resource to Ignore."}
		e.notification, e.code = "BeginRequest", "0x80070005"
	case status == 403 && sub == 14:
		e.summary = "The Web server is configured to not list the contents of this directory."
		e.causes = []string{"A default document is not configured for the requested URL, and directory browsing is not enabled on the server."}
		e.tries = []string{"If you do not want to enable directory browsing, ensure that a default document is configured and that the file exists."}
		e.module, e.notification, e.code = "DirectoryListingModule", "ExecuteRequestHandler", "0x00000000"
	case status == 404:
		e.summary = "The resource you are looking for has been removed, had its name changed, or is temporarily unavailable."
		e.causes = []string{"The directory or file specified does not exist on the Web server.", "The URL contains a typographical error."}
		e.tries = []string{"Create the content on the Web server.", "Review the browser URL."}
		e.notification, e.code = "MapRequestHandler", "0x80070002"
	case status == 500 && sub == 24:
		e.summary = "An ASP.NET setting has been detected that does not apply in Integrated managed pipeline mode."
		e.causes = []string{"system.web/identity@impersonate is set to true."}
		e.tries = []string{"If the application supports it, disable client impersonation.", "If you are certain that it is OK to ignore this error, it can be disabled by setting system.webServer/validation@validateIntegratedModeConfiguration to false.", "Move this application to an application pool using Classic .NET mode."}
		e.module, e.notification, e.code = "ConfigurationValidationModule", "BeginRequest", "0x80070032"
	default:
		e.summary = "The server encountered an error."
		e.notification, e.code = "ExecuteRequestHandler", "0x80004005"
	}
	return e
}

// iisFault is the answer IIS sends for status.sub: a detailed error page, or
// with Options.CustomErrors the terse page remote browsers get by default.
func iisFault(r *http.Request, rt route, o *Options, status, sub int) answer {
	e := iisCatalogue(status, sub)
	h := http.Header{"Content-Type": {"text/html"}}
	if e.challenge {
		// Two separate headers, in IIS's order.
		h["Www-Authenticate"] = []string{"Negotiate", "NTLM"}
	}
	body := detailedPage(r, rt, e)
	if o != nil && o.CustomErrors {
		body = customErrorPage(status)
	}
	return answer{status: status, sub: sub, header: h, body: body}
}

func reasonPhrase(status int) string {
	if status == 500 {
		return "Internal Server Error"
	}
	return http.StatusText(status)
}

const detailedStyle = `body{margin:0;font-size:.7em;font-family:Verdana,Arial,Helvetica,sans-serif;}
code{margin:0;color:#006600;font-size:1.1em;font-weight:bold;}
pre{margin:0;font-size:1.4em;word-wrap:break-word;}
ul,ol{margin:10px 0 10px 5px;}
fieldset{padding:0 15px 10px 15px;word-break:break-all;}
legend{color:#333333;;margin:4px 0 8px -12px;_margin-top:0px;font-weight:bold;font-size:1em;}
a:link,a:visited{color:#007EFF;font-weight:bold;}
a:hover{text-decoration:none;}
h1{font-size:2.4em;margin:0;color:#FFF;}
h2{font-size:1.7em;margin:0;color:#CC0000;}
h3{font-size:1.4em;margin:10px 0 0 0;color:#CC0000;}
h4{font-size:1.2em;margin:10px 0 5px 0;}
#content{margin:0 0 0 2%;position:relative;}
.summary-container,.content-container{background:#FFF;width:96%;margin-top:8px;padding:10px;position:relative;}
.content-container p{margin:0 0 10px 0;}
#details-left{width:35%;float:left;margin-right:2%;}
#details-right{width:63%;float:left;overflow:hidden;}
table{margin:4px 0 4px 0;width:100%;border:none;}
td,th{vertical-align:top;padding:3px 0;text-align:left;font-weight:normal;border:none;}
th{width:30%;text-align:right;padding-right:2%;font-weight:bold;}
#details-right th{width:20%;}
.clear{clear:both;}`

// detailedPage renders an IIS 10 detailed error page. Request-derived text is
// escaped: the simulator must not reflect markup.
func detailedPage(r *http.Request, rt route, e iisError) string {
	code := fmt.Sprintf("%d.%d", e.status, e.sub)
	phrase := reasonPhrase(e.status)
	handler := "StaticFile"
	if rt.kind == kindASMX {
		handler = "WebServiceHandlerFactory-Integrated-4.0"
	}
	logonMethod, logonUser := e.logon, e.logon
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n"+
		"<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n<title>IIS 10.0 Detailed Error - %s - %s</title>\r\n"+
		"<style type=\"text/css\">\r\n<!--\r\n%s\r\n-->\r\n</style>\r\n\r\n</head>\r\n<body>\r\n<div id=\"content\">\r\n"+
		"<div class=\"content-container\">\r\n  <h3>HTTP Error %s - %s</h3>\r\n  <h4>%s</h4>\r\n</div>\r\n",
		code, phrase, detailedStyle, code, phrase, e.summary)
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "<div class=\"content-container\">\r\n <fieldset><h4>%s</h4>\r\n  <ul>", title)
		for _, it := range items {
			fmt.Fprintf(&b, " \t<li>%s</li>", it)
		}
		b.WriteString(" </ul>\r\n </fieldset>\r\n</div>\r\n")
	}
	list("Most likely causes:", e.causes)
	list("Things you can try:", e.tries)
	fmt.Fprintf(&b, "\r\n<div class=\"content-container\">\r\n <fieldset><h4>Detailed Error Information:</h4>\r\n"+
		"  <div id=\"details-left\">\r\n   <table border=\"0\" cellpadding=\"0\" cellspacing=\"0\">\r\n"+
		"    <tr class=\"alt\"><th>Module</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n"+
		"    <tr><th>Notification</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n"+
		"    <tr class=\"alt\"><th>Handler</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n"+
		"    <tr><th>Error Code</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n   </table>\r\n  </div>\r\n"+
		"  <div id=\"details-right\">\r\n   <table border=\"0\" cellpadding=\"0\" cellspacing=\"0\">\r\n"+
		"    <tr class=\"alt\"><th>Requested URL</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n"+
		"    <tr><th>Physical Path</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n"+
		"    <tr class=\"alt\"><th>Logon Method</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n"+
		"    <tr><th>Logon User</th><td>&nbsp;&nbsp;&nbsp;%s</td></tr>\r\n   </table>\r\n"+
		"   <div class=\"clear\"></div>\r\n  </div>\r\n </fieldset>\r\n</div>\r\n",
		e.module, e.notification, handler, e.code,
		html.EscapeString(requestedURL(r)), html.EscapeString(rt.phys), logonMethod, logonUser)
	fmt.Fprintf(&b, "\r\n<div class=\"content-container\">\r\n <fieldset><h4>More Information:</h4>\r\n  %s\r\n"+
		"  <p><a href=\"https://go.microsoft.com/fwlink/?LinkID=62293&amp;IIS70Error=%d,%d,%s,17763\">View more information &raquo;</a></p>\r\n"+
		" </fieldset>\r\n</div>\r\n</div>\r\n</body>\r\n</html>\r\n",
		e.more, e.status, e.sub, e.code)
	return b.String()
}

// requestedURL is the URL as IIS prints it on a detailed error page.
func requestedURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// customErrorPage is what IIS sends to remote browsers with its default
// errorMode (DetailedLocalOnly): no substatus anywhere.
func customErrorPage(status int) string {
	title, detail := "500 - Internal server error.", "There is a problem with the resource you are looking for, and it cannot be displayed."
	switch status {
	case 401:
		title, detail = "401 - Unauthorized: Access is denied due to invalid credentials.", "You do not have permission to view this directory or page using the credentials that you supplied."
	case 403:
		title, detail = "403 - Forbidden: Access is denied.", "You do not have permission to view this directory or page using the credentials that you supplied."
	case 404:
		title, detail = "404 - File or directory not found.", "The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable."
	}
	return "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n" +
		"<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n" +
		"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n" +
		"<title>" + title + "</title>\r\n" +
		"<style type=\"text/css\">\r\n<!--\r\nbody{margin:0;font-size:.7em;font-family:Verdana, Arial, Helvetica, sans-serif;background:#EEEEEE;}\r\n" +
		"fieldset{padding:0 15px 10px 15px;}\r\nh1{font-size:2.4em;margin:0;color:#FFF;}\r\nh2{font-size:1.7em;margin:0;color:#CC0000;}\r\n" +
		"h3{font-size:1.2em;margin:10px 0 0 0;color:#000000;}\r\n-->\r\n</style>\r\n</head>\r\n<body>\r\n" +
		"<div id=\"header\"><h1>Server Error</h1></div>\r\n<div id=\"content\">\r\n <div class=\"content-container\"><fieldset>\r\n" +
		"  <h2>" + title + "</h2>\r\n  <h3>" + detail + "</h3>\r\n </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n"
}

// serviceUnavailable is HTTP.sys's own answer when the app pool is stopped:
// IIS never sees the request, so no IIS headers and no detailed page.
func serviceUnavailable() answer {
	return answer{
		status: http.StatusServiceUnavailable, httpSys: true,
		header: http.Header{
			"Content-Type": {"text/html; charset=us-ascii"},
			"Server":       {"Microsoft-HTTPAPI/2.0"},
			"Connection":   {"close"},
		},
		body: "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n" +
			"<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n" +
			"<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n" +
			"<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n</BODY></HTML>\r\n",
	}
}

// aspnetRequestTimedOut is ASP.NET's error page when a request exceeds its
// executionTimeout, as WSUS scans do when the catalog is bloated.
func aspnetRequestTimedOut(rt route) answer {
	app := "/" + rt.vdir
	return answer{
		status: http.StatusInternalServerError,
		header: http.Header{
			"Content-Type":     {"text/html; charset=utf-8"},
			"Cache-Control":    {"private"},
			"X-AspNet-Version": {"4.0.30319"},
		},
		body: "<!DOCTYPE html>\r\n<html>\r\n    <head>\r\n        <title>Request timed out.</title>\r\n" +
			"        <meta name=\"viewport\" content=\"width=device-width\" />\r\n    </head>\r\n\r\n    <body bgcolor=\"white\">\r\n\r\n" +
			"            <span><H1>Server Error in '" + app + "' Application.<hr width=100% size=1 color=silver></H1>\r\n\r\n" +
			"            <h2> <i>Request timed out.</i> </h2></span>\r\n\r\n" +
			"            <font face=\"Arial, Helvetica, Geneva, SunSans-Regular, sans-serif \">\r\n\r\n" +
			"            <b> Description: </b>An unhandled exception occurred during the execution of the current web request. " +
			"Please review the stack trace for more information about the error and where it originated in the code.\r\n\r\n" +
			"            <br><br>\r\n\r\n            <b> Exception Details: </b>System.Web.HttpException: Request timed out.<br><br>\r\n\r\n" +
			"            <hr width=100% size=1 color=silver>\r\n\r\n" +
			"            <b>Version Information:</b>&nbsp;Microsoft .NET Framework Version:4.0.30319; ASP.NET Version:4.8.4645.0\r\n\r\n" +
			"            </font>\r\n\r\n    </body>\r\n</html>\r\n",
	}
}
