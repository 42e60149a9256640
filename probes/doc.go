// Package probes is the wsusfleet domain: the report schema (server reports,
// client reports, directory inventories) with its validation and JSON Schema,
// the WSUS reference tables of DESIGN §7, and the findings vocabulary.
//
// It imports only the standard library; parsers, the prober, the simulator and
// the rules live in subpackages and may import what they need.
package probes
