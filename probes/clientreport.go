package probes

// ClientReport is one Windows client's own view: its Windows Update policy,
// identity and service state, and optionally the vDir checks it made itself.
type ClientReport struct {
	Schema      string      `json:"schema" v:"required,enum=client_report_schema"`
	ID          string      `json:"id" v:"required,id"`
	CollectedAt Time        `json:"collected_at" v:"required"`
	Collector   Collector   `json:"collector"`
	Client      ClientView  `json:"client"`
	VDirChecks  []VDirCheck `json:"vdir_checks,omitempty" v:"max=100"`
}

// ClientView holds the policy values of DESIGN §7.6 as read from
// HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate[\AU]. Pointers are
// nil when the value is not set, which is itself a fact (policy not applied).
type ClientView struct {
	Name                   string          `json:"name" v:"required,max=253,host"`
	IP                     string          `json:"ip,omitempty" v:"max=64"`
	OS                     string          `json:"os,omitempty" v:"max=256"`
	WUServer               string          `json:"wu_server,omitempty" v:"max=2048"`
	WUStatusServer         string          `json:"wu_status_server,omitempty" v:"max=2048"`
	UpdateServiceAlternate string          `json:"update_service_url_alternate,omitempty" v:"max=2048"`
	UseWUServer            *bool           `json:"use_wu_server,omitempty"`
	AUOptions              *int            `json:"au_options,omitempty" v:"min=0,max=10"`
	NoAutoUpdate           *bool           `json:"no_auto_update,omitempty"`
	DetectionFrequencyH    *int            `json:"detection_frequency_hours,omitempty" v:"min=0,max=10000"`
	TargetGroupEnabled     *bool           `json:"target_group_enabled,omitempty"`
	TargetGroup            string          `json:"target_group,omitempty" v:"max=256"`
	SetProxyBehavior       *int            `json:"set_proxy_behavior,omitempty" v:"min=0,max=10"`
	SusClientID            string          `json:"sus_client_id,omitempty" v:"max=64,id"`
	Services               *ClientServices `json:"services,omitempty"`
	WinHTTPProxy           string          `json:"winhttp_proxy,omitempty" v:"max=2048"`
	DualScan               *DualScan       `json:"dual_scan,omitempty"`
}

// ClientServices is the state of the services Windows Update needs.
type ClientServices struct {
	WUAUServ      string `json:"wuauserv,omitempty" v:"enum=service_state"`
	BITS          string `json:"bits,omitempty" v:"enum=service_state"`
	WUAUServStart string `json:"wuauserv_start,omitempty" v:"enum=start_type"`
	BITSStart     string `json:"bits_start,omitempty" v:"enum=start_type"`
}

// DualScan holds the deferral policies that make Windows 10+ scan Windows
// Update instead of WSUS ("dual scan").
type DualScan struct {
	DeferQualityUpdates *bool `json:"defer_quality_updates,omitempty"`
	DeferFeatureUpdates *bool `json:"defer_feature_updates,omitempty"`
	DisableDualScan     *bool `json:"disable_dual_scan,omitempty"`
}

// Inventory lists the computers expected to use WSUS, e.g. exported from AD.
type Inventory struct {
	Schema      string          `json:"schema" v:"required,enum=inventory_schema"`
	ID          string          `json:"id" v:"required,id"`
	CollectedAt Time            `json:"collected_at" v:"required"`
	Collector   *Collector      `json:"collector,omitempty"`
	Source      string          `json:"source" v:"required,max=64"`
	Scope       string          `json:"scope,omitempty" v:"max=2048"`
	Complete    bool            `json:"complete"`
	Items       []InventoryItem `json:"items" v:"max=1000000"`
}

// InventoryItem is one expected computer.
type InventoryItem struct {
	Name      string `json:"name" v:"required,max=253,host"`
	Enabled   bool   `json:"enabled"`
	LastLogon Time   `json:"last_logon" v:"never"`
	OU        string `json:"ou,omitempty" v:"max=2048"`
}
