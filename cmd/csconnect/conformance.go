package main

func init() {
	commands["conformance"] = command{
		Summary: "run the conformance suite (embedded simulator by default; --live for the real service); diff OLD NEW compares fixtures",
		Run:     conformanceHelper.run,
	}
}

// `csconnect conformance` is cmd/csconnect-conformance: the suite needs kin-openapi,
// whose package init costs milliseconds; kept out of this binary, `csconnect token`
// does not pay it at start. See helper.
