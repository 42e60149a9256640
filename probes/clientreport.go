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
	// UpdateErrors are the client's latest Windows Update failures, from the
	// WindowsUpdateClient operational log (or its WindowsUpdate.log).
	UpdateErrors []UpdateError `json:"update_errors,omitempty" v:"max=100"`
}

// UpdateError is one failed Windows Update operation on a client.
type UpdateError struct {
	Time      Time   `json:"time" v:"required"`
	Operation string `json:"operation" v:"required,enum=update_operation"`
	Code      string `json:"code" v:"required,max=10,hresult"`       // HRESULT as 0x + 8 hex digits, e.g. 0x80244022
	EventID   int    `json:"event_id,omitempty" v:"min=0,max=65535"` // 20, 25, 31 … when read from the event log
	Message   string `json:"message,omitempty" v:"max=2048,text"`
}

// Windows Update operations an UpdateError can be about.
const (
	UpdateOpScan       = "scan"
	UpdateOpDownload   = "download"
	UpdateOpInstall    = "install"
	UpdateOpReport     = "report"
	UpdateOpSelfUpdate = "selfupdate"
	UpdateOpOther      = "other"
)

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
	// DoNotConnectToWUInternet is DoNotConnectToWindowsUpdateInternetLocations.
	DoNotConnectToWUInternet *bool `json:"do_not_connect_to_wu_internet,omitempty"`
	// UpdateSource holds the Windows 11 / Intune policies that choose the
	// scan source per update class: a client set to Windows Update by policy
	// is not one whose WSUS policy failed to apply.
	UpdateSource *UpdateSourcePolicy `json:"update_source,omitempty"`
}

// UpdateSourcePolicy is "Specify source service for specific classes of
// Windows Updates": SetPolicyDrivenUpdateSourceFor{Feature,Quality,Driver,
// Other}Updates, each 0 (Windows Update) or 1 (WSUS), in effect only when
// AU\UseUpdateClassPolicySource is 1.
type UpdateSourcePolicy struct {
	UseUpdateClassPolicySource *bool `json:"use_update_class_policy_source,omitempty"`
	FeatureUpdates             *int  `json:"feature_updates,omitempty" v:"min=0,max=1"`
	QualityUpdates             *int  `json:"quality_updates,omitempty" v:"min=0,max=1"`
	DriverUpdates              *int  `json:"driver_updates,omitempty" v:"min=0,max=1"`
	OtherUpdates               *int  `json:"other_updates,omitempty" v:"min=0,max=1"`
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
