// Package k8s_test checks the Kubernetes manifests of deploy/k8s by decoding them strictly into the
// Kubernetes API's own Go types, and the KEDA ScaledObject into scaledObject below: an unknown or
// misspelt field fails, as it would at `kubectl apply --validate=strict`, without fetching schemas from
// the internet.
package k8s_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/eaapl/eaapl/config"
)

// scaledObject mirrors KEDA's ScaledObject (keda.sh/v1alpha1, github.com/kedacore/keda/v2/apis/keda/v1alpha1
// at v2.21.0, scaledobject_types.go): the fields its CRD has, with the same JSON names and types. KEDA's
// own package was tried first: it is served, but it imports controller-runtime, client-go and KEDA's
// webhooks, and compiling that tree took more than 15 minutes on the build machine, for one test; the
// mirror keeps the check strict (an unknown field fails) at no such cost.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              scaledObjectSpec `json:"spec"`
}

type scaledObjectSpec struct {
	ScaleTargetRef        *scaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *advancedConfig `json:"advanced,omitempty"`
	Triggers              []scaleTriggers `json:"triggers"`
	Fallback              *fallback       `json:"fallback,omitempty"`
}

type scaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type advancedConfig struct {
	HorizontalPodAutoscalerConfig *struct {
		Name     string                                         `json:"name,omitempty"`
		Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	} `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              *struct {
		Formula          string                         `json:"formula,omitempty"`
		Target           string                         `json:"target,omitempty"`
		ActivationTarget string                         `json:"activationTarget,omitempty"`
		MetricType       autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
	} `json:"scalingModifiers,omitempty"`
}

type scaleTriggers struct {
	Type              string            `json:"type"`
	Name              string            `json:"name,omitempty"`
	UseCachedMetrics  bool              `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	AuthenticationRef *struct {
		Name string `json:"name"`
		Kind string `json:"kind,omitempty"`
	} `json:"authenticationRef,omitempty"`
	MetricType autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type fallback struct {
	FailureReplicas int32  `json:"failureReplicas"`
	Replicas        int32  `json:"replicas"`
	Behavior        string `json:"behavior,omitempty"`
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
	decode(t, "scaledobject.yaml", &so)
	decode(t, "pdb.yaml", &pdb)
	var pvc corev1.PersistentVolumeClaim
	decode(t, "content-pvc.yaml", &pvc)

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
	t.Run("EveryPodSharesOneContentStore", func(t *testing.T) {
		// A contacts list past 1,000 that one pod stores, the others read (docs/scale.md).
		if pvc.Kind != "PersistentVolumeClaim" || !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
			t.Fatalf("content-pvc.yaml: %s with access modes %v, want a PersistentVolumeClaim pods on any node can mount (ReadWriteMany)", pvc.Kind, pvc.Spec.AccessModes)
		}
		var volume string
		for _, v := range pod.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name && !v.PersistentVolumeClaim.ReadOnly {
				volume = v.Name
			}
		}
		mounted := false
		for _, m := range c.VolumeMounts {
			mounted = mounted || (m.Name == volume && volume != "" && m.MountPath == env["EAAPL_DATA_DIR"] && !m.ReadOnly)
		}
		if !mounted {
			t.Errorf("EAAPL_DATA_DIR %q is not the claim %s mounted writable (volumes %+v, mounts %+v)", env["EAAPL_DATA_DIR"], pvc.Name, pod.Spec.Volumes, c.VolumeMounts)
		}
		if sc := pod.Spec.SecurityContext; sc == nil || sc.FSGroup == nil || *sc.FSGroup != 65532 {
			t.Errorf("the pod's securityContext %+v, want fsGroup 65532 so that the image's nonroot user can write the store", sc)
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

// TestStrictDecodingCatchesATypo makes sure the check above can fail: a misspelt field is an error.
func TestStrictDecodingCatchesATypo(t *testing.T) {
	var so scaledObject
	bad := []byte("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nspec:\n  scaleTargetRef: {name: x}\n  maxReplicas: 3\n")
	if err := yaml.UnmarshalStrict(bad, &so); err == nil || !strings.Contains(err.Error(), "maxReplicas") {
		t.Fatalf("a misspelt field decoded: %v", err)
	}
}
