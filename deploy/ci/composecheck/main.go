// composecheck loads a Compose file with compose-go, the loader `docker compose` itself uses, and
// fails on anything `docker compose config` would reject: the Compose specification schema,
// interpolation (including ${VAR:?error} for unset secrets), references between services, networks
// and volumes, and profiles. No container engine is needed.
//
// Usage: composecheck [-env-file FILE] [-profile NAME]... compose.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var envFiles, profiles list
	flag.Var(&envFiles, "env-file", "environment file used for interpolation (repeatable)")
	flag.Var(&profiles, "profile", "profile to enable (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [-env-file FILE] [-profile NAME]... compose.yaml")
		os.Exit(2)
	}
	file, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	opts, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		// Only the given env files: the result must not depend on the caller's shell.
		cli.WithEnv([]string{}),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
		cli.WithConsistency(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	volumes := make([]string, 0, len(project.Volumes))
	for name := range project.Volumes {
		volumes = append(volumes, name)
	}
	sort.Strings(volumes)
	fmt.Printf("compose: project %q valid: %d services [%s], %d volumes [%s], profiles %v\n",
		project.Name, len(names), strings.Join(names, " "), len(volumes), strings.Join(volumes, " "), []string(profiles))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose: invalid: %v\n", err)
	os.Exit(1)
}
