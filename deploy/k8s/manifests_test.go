// Package k8s_test checks the Kubernetes manifests of deploy/k8s by decoding them strictly into the
// Kubernetes API's own Go types, and the KEDA ScaledObject against the schema of KEDA's own CRD, from
// KEDA's module: an unknown or misspelt field fails, as it would at `kubectl apply --validate=strict`.
package k8s_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/eaapl/eaapl/config"
)

// kedaModule is the KEDA release whose ScaledObject CRD the manifest is validated against: the CRD's
// OpenAPI schema (config/crd/bases/keda.sh_scaledobjects.yaml in the module) is what the API server
// checks a ScaledObject with, and `go mod download` fetches it from the module proxy, as it does every
// other module, without adding KEDA to this module's requirements. KEDA's Go package
// (apis/keda/v1alpha1) was tried instead: it imports controller-runtime, client-go and KEDA's webhooks,
// and a cold build of a program importing it alone took longer than this repository's whole test build
// (docs/operations.md, "Kubernetes", has the measure).
const kedaModule = "github.com/kedacore/keda/v2@v2.21.0"

// kedaCRD is the path of the ScaledObject CRD inside kedaModule.
const kedaCRD = "config/crd/bases/keda.sh_scaledobjects.yaml"

// scaledObject holds the fields of a ScaledObject that the checks below compare with the other manifests.
// It is not where strictness comes from: the manifest is validated against KEDA's own schema first
// (scaledObjectSchema), which refuses a field the CRD does not have.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ScaleTargetRef *struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount *int32 `json:"maxReplicaCount,omitempty"`
		Triggers        []struct {
			Type     string            `json:"type"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// scaledObjectSchema compiles the openAPIV3Schema of KEDA's ScaledObject CRD at v1alpha1, made strict as
// `kubectl apply --validate=strict` is: an object schema with properties takes no other field, unless it
// says x-kubernetes-preserve-unknown-fields or gives additionalProperties. The CEL rules of
// x-kubernetes-validations are not evaluated here.
func scaledObjectSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH, and fetches KEDA's CRD (%s): %v", kedaModule, err)
	}
	out, err := exec.Command(gobin, "mod", "download", "-json", kedaModule).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%w: %s%s", err, out, exit.Stderr)
		}
		t.Fatalf("go mod download %s: %v", kedaModule, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download -json %s printed %s: %v", kedaModule, out, err)
	}
	raw, err := os.ReadFile(filepath.Join(mod.Dir, kedaCRD))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Names    struct{ Kind string }
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatalf("%s in %s: %v", kedaCRD, kedaModule, err)
	}
	var schema map[string]any
	for _, v := range crd.Spec.Versions {
		if v.Name == "v1alpha1" {
			schema = v.Schema.OpenAPIV3Schema
		}
	}
	if crd.Spec.Names.Kind != "ScaledObject" || schema == nil {
		t.Fatalf("%s in %s: no v1alpha1 schema of a ScaledObject", kedaCRD, kedaModule)
	}
	strict(schema)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4) // OpenAPI 3.0's schema objects are draft 4's, with extensions
	if err := c.AddResource("keda.sh_scaledobjects.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("keda.sh_scaledobjects.json")
	if err != nil {
		t.Fatalf("compile KEDA's ScaledObject schema: %v", err)
	}
	return sch
}

// strict sets additionalProperties: false on every object schema in s that lists its properties and
// neither preserves unknown fields nor says what other properties may be.
func strict(s map[string]any) {
	if props, ok := s["properties"].(map[string]any); ok {
		_, open := s["additionalProperties"]
		if keep, _ := s["x-kubernetes-preserve-unknown-fields"].(bool); !open && !keep {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if m, ok := p.(map[string]any); ok {
				strict(m)
			}
		}
	}
	for _, key := range []string{"items", "additionalProperties"} {
		if m, ok := s[key].(map[string]any); ok {
			strict(m)
		}
	}
}

// validateScaledObject checks a ScaledObject manifest against KEDA's schema, and its metadata strictly
// against Kubernetes' ObjectMeta (the CRD's schema leaves metadata to the API server).
func validateScaledObject(sch *jsonschema.Schema, manifest []byte) error {
	js, err := yaml.YAMLToJSON(manifest)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return err
	}
	var meta struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            json.RawMessage   `json:"spec"`
		Status          json.RawMessage   `json:"status,omitempty"`
	}
	return yaml.UnmarshalStrict(manifest, &meta)
}

func decode(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// handBack is worker.handBackWait: how long a stopped worker waits for cancelled tasks to report.
const handBack = 10 * time.Second

func TestManifests(t *testing.T) {
	var dep appsv1.Deployment
	var so scaledObject
	var pdb policyv1.PodDisruptionBudget
	decode(t, "worker-deployment.yaml", &dep)
	decode(t, "pdb.yaml", &pdb)
	raw, err := os.ReadFile("scaledobject.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := validateScaledObject(scaledObjectSchema(t), raw); err != nil {
		t.Fatalf("scaledobject.yaml against KEDA's CRD (%s): %v", kedaModule, err)
	}
	if err := yaml.Unmarshal(raw, &so); err != nil {
		t.Fatalf("scaledobject.yaml: %v", err)
	}

	if dep.Kind != "Deployment" || so.Kind != "ScaledObject" || pdb.Kind != "PodDisruptionBudget" {
		t.Fatalf("kinds %q, %q, %q", dep.Kind, so.Kind, pdb.Kind)
	}
	pod := dep.Spec.Template
	if sel := labels.SelectorFromSet(dep.Spec.Selector.MatchLabels); !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", dep.Spec.Selector.MatchLabels, pod.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want the worker's", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}

	t.Run("EnvIsWhatEaaPLReads", func(t *testing.T) {
		read := map[string]bool{}
		for _, typ := range []reflect.Type{reflect.TypeFor[config.Config](), reflect.TypeFor[config.Kafka]()} {
			for i := range typ.NumField() {
				read[typ.Field(i).Tag.Get("envconfig")] = true
			}
		}
		for name := range env {
			if !read[name] && !strings.HasPrefix(name, "TEMPORAL_") && !strings.HasPrefix(name, "OTEL_") {
				t.Errorf("the worker sets %s, which EaaPL does not read", name)
			}
		}
	})
	t.Run("ProbesOnTheMetricsPort", func(t *testing.T) {
		_, port, _ := strings.Cut(env["EAAPL_METRICS_ADDR"], ":")
		if len(c.Ports) != 1 || port == "" || c.Ports[0].ContainerPort != int32(atoi(t, port)) {
			t.Fatalf("container ports %v, EAAPL_METRICS_ADDR %q: want the one port the metrics are served on", c.Ports, env["EAAPL_METRICS_ADDR"])
		}
		for _, p := range []struct {
			probe *corev1.Probe
			path  string
		}{{c.ReadinessProbe, "/readyz"}, {c.LivenessProbe, "/livez"}} {
			if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != c.Ports[0].Name {
				t.Errorf("probe %+v, want GET %s on port %s", p.probe, p.path, c.Ports[0].Name)
			}
		}
	})
	t.Run("GraceAboveTheShutdownTimeout", func(t *testing.T) {
		shutdown, err := time.ParseDuration(env["EAAPL_SHUTDOWN_TIMEOUT"])
		if err != nil {
			t.Fatalf("EAAPL_SHUTDOWN_TIMEOUT: %v", err)
		}
		grace := pod.Spec.TerminationGracePeriodSeconds
		if grace == nil || time.Duration(*grace)*time.Second <= shutdown+handBack {
			t.Errorf("terminationGracePeriodSeconds %v, want more than EAAPL_SHUTDOWN_TIMEOUT %s plus the hand-back wait %s", grace, shutdown, handBack)
		}
	})
	t.Run("KEDAScalesTheWorkerOnItsTaskQueue", func(t *testing.T) {
		if so.Spec.ScaleTargetRef == nil || so.Spec.ScaleTargetRef.Name != dep.Name {
			t.Fatalf("scaleTargetRef %+v, want %s", so.Spec.ScaleTargetRef, dep.Name)
		}
		if len(so.Spec.Triggers) != 1 || so.Spec.Triggers[0].Type != "temporal" {
			t.Fatalf("triggers %+v, want KEDA's temporal scaler", so.Spec.Triggers)
		}
		md := so.Spec.Triggers[0].Metadata
		if md["taskQueue"] != env["EAAPL_TASK_QUEUE"] || md["namespace"] != env["TEMPORAL_NAMESPACE"] || md["targetQueueSize"] == "" || md["endpoint"] == "" {
			t.Errorf("temporal trigger %v, want the worker's task queue %q and namespace %q, an endpoint and a target", md, env["EAAPL_TASK_QUEUE"], env["TEMPORAL_NAMESPACE"])
		}
		if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount < 1 || so.Spec.MaxReplicaCount == nil || *so.Spec.MaxReplicaCount < *so.Spec.MinReplicaCount {
			t.Errorf("replicas %v..%v, want at least one, and a maximum", so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount)
		}
	})
	t.Run("PDBKeepsAWorker", func(t *testing.T) {
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 {
			t.Errorf("minAvailable %v, want at least 1", pdb.Spec.MinAvailable)
		}
		if pdb.Spec.Selector == nil || !labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels).Matches(labels.Set(pod.Labels)) {
			t.Errorf("the PDB's selector %v does not select the worker's pods %v", pdb.Spec.Selector, pod.Labels)
		}
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("port %q is not a number", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// TestStrictDecodingCatchesATypo makes sure the checks above can fail: a misspelt field, at the top of a
// Deployment or deep in a ScaledObject, is an error that names it.
func TestStrictDecodingCatchesATypo(t *testing.T) {
	var dep appsv1.Deployment
	if err := yaml.UnmarshalStrict([]byte("apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n"), &dep); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("a misspelt Deployment field decoded: %v", err)
	}
	sch := scaledObjectSchema(t)
	good, err := os.ReadFile("scaledobject.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to, field string }{
		{"InTheSpec", "maxReplicaCount:", "maxReplicas:", "maxReplicas"},
		{"InTheTarget", "    name: eaapl-worker", "    nmae: eaapl-worker", "nmae"},
		{"InATrigger", "  - type: temporal", "  - typ: temporal", "typ"},
		{"InTheMetadata", "  name: eaapl-worker", "  nmae: eaapl-worker", "nmae"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := strings.Replace(string(good), c.from, c.to, 1)
			if bad == string(good) {
				t.Fatalf("scaledobject.yaml has no %q to misspell", c.from)
			}
			if err := validateScaledObject(sch, []byte(bad)); err == nil || !strings.Contains(err.Error(), c.field) {
				t.Errorf("%s passed KEDA's schema: %v", c.field, err)
			}
		})
	}
	t.Run("AWrongType", func(t *testing.T) {
		bad := strings.Replace(string(good), "minReplicaCount: 1", "minReplicaCount: one", 1)
		if err := validateScaledObject(sch, []byte(bad)); err == nil {
			t.Error("minReplicaCount: one passed KEDA's schema")
		}
	})
}
