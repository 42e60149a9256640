package rules

func eventScenarios() []scenario { return nil }
func poolScenarios() []scenario  { return nil }
func authScenarios() []scenario  { return nil }
func causeScenarios() []scenario { return nil }
