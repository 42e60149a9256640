package regquery

import "regexp"

var (
	// promptRe is a shell prompt with what was typed after it: PowerShell
	// ("PS C:\>", "[PC0042]: PS C:\>", "*Evil-WinRM* PS C:\>", "PS HKLM:\…>")
	// or cmd ("C:\Windows\system32>"). Groups: remote computer, PowerShell
	// location, cmd location, command.
	promptRe = regexp.MustCompile(`^(?:\*[^*]*\*\s+)?(?:\[([^\]]+)\]:\s*)?(?:PS\s+([^>]*)|([A-Za-z]:\\[^>]*))>\s?(.*)$`)
	// commandRe is a command line pasted without its prompt.
	commandRe = regexp.MustCompile(`(?i)^(reg(\.exe)?\s+query\s|get-itemproperty\b|gp\s|get-item\b|gi\s|get-childitem\b|gci\s)`)

	regHeaderRe = regexp.MustCompile(`^(Windows Registry Editor Version 5\.00|REGEDIT4)$`)
	regKeyRe    = regexp.MustCompile(`^\[(-?)(HKEY_[^\]]*)\]$`)
	regValueRe  = regexp.MustCompile(`^(?:"(?:[^"\\]|\\.)*"|@)\s*=`)

	// errorRe is reg.exe's "not found" error, in the languages Windows
	// ships (the message after the colon is localised too).
	errorRe          = regexp.MustCompile(`(?i)^(ERROR|FEHLER|ERREUR|ERRORE|ERRO|FOUT|BŁĄD|CHYBA|HIBA|HATA|FEL|FEJL|VIRHE|ОШИБКА|エラー|错误|錯誤)\s*:`)
	psMissingPathRe  = regexp.MustCompile(`(?i)Cannot find path '([^']+)' because it does not exist`)
	psMissingValueRe = regexp.MustCompile(`(?i)Property (\S+) does not exist at path (.+?)\.?$`)

	hiveRe    = regexp.MustCompile(`^\s*Hive:\s*(.+)$`)
	keyLineRe = regexp.MustCompile(`^(\\\\[^\\\s]+\\)?(HKEY_[A-Z_]+|HKLM|HKCU|HKU|HKCR|HKCC)(:)?(\\.*)?$`)
	machineRe = regexp.MustCompile(`^\\\\([^\\\s]+)\\`)

	// regQueryValueRe is reg query's "    Name    REG_TYPE    data" (the
	// four-space separators may have collapsed in a paste).
	regQueryValueRe = regexp.MustCompile(`^\s*(\S.*?)\s+(REG_[A-Z_]+)(?:\s+(.*))?$`)
	// listRe is PowerShell's list output: "Name   : value".
	listRe = regexp.MustCompile(`^([A-Za-z_(][\w().-]*)\s*:\s?(.*)$`)
	// tableRule is the dashed line under a PowerShell table's headings.
	tableRule = regexp.MustCompile(`^\s*-{2,}(\s+-{2,})*\s*$`)

	// regedit's text export.
	regeditKeyRe   = regexp.MustCompile(`^Key Name:\s+(HKEY_\S.*)$`)
	regeditFieldRe = regexp.MustCompile(`^(Name|Type|Data):\s*(.*)$`)
	regeditValueRe = regexp.MustCompile(`^Value \d+$`)
)
