// Package scripts holds the PowerShell collectors that run on Windows (WSUS
// servers, clients, a computer with the ActiveDirectory module) and send
// reports to the dashboard.
//
// There is no Go code to build here: the package exists for its tests, which
// pin the JSON the scripts emit to the probes types. Each script keeps its
// property names in one table ($script:WfNames) and builds every object
// through New-WfObject/Write-WfJsonName, which refuse names outside it; the
// tests read those tables and every call site and check them against the
// json tags of the probes types, and decode the example payloads in
// testdata/collectors through the same strict decoder the server uses.
package scripts
