package suite

// Scenarios returns every scenario, in the order they run: the wire-level
// behaviour of the service first, then the client stack against it.
func Scenarios() []Scenario {
	var all []Scenario
	all = append(all, authScenarios()...)
	all = append(all, limitScenarios()...)
	all = append(all, serviceScenarios()...)
	all = append(all, faultScenarios()...)
	all = append(all, stackScenarios()...)
	return all
}
