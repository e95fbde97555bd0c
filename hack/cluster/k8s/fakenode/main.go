// Command fakenode is the simulated node of eddy's test control plane. It stands in for both
// kube-scheduler and a kubelet, so that workloads reach the status they would on a real cluster
// without running any container:
//
//   - it registers one Node (default "fake-0") that reports Ready, with room for many pods;
//   - it binds every unscheduled Pod to that Node through the binding subresource;
//   - it marks bound Pods Running with all containers ready (so ReplicaSets, Deployments,
//     StatefulSets and DaemonSets become available), and Pods owned by a Job Succeeded with exit
//     code 0 (so Jobs complete);
//   - it finalizes Pods being deleted (grace period 0), since no kubelet will confirm termination.
//
// Tests can ask for unhealthy workloads through a Pod annotation, usually set in a pod template:
// fakenode.eddy.dev/state: "not-ready" keeps containers running but never ready, and "fail" makes
// the Pod fail with exit code 1. With --kubelet-port it also serves container logs (logs.go).
//
// It only uses the public API, so everything the controllers see is real API behaviour. The node
// lifecycle controller must be disabled in kube-controller-manager: this node sends no heartbeat.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

const stateAnnotation = "fakenode.eddy.dev/state"

type fakeNode struct {
	client   kubernetes.Interface
	nodeName string
	nodeIP   string
	// kubeletPort serves container logs on 127.0.0.1 (logs.go), 0 when it does not.
	kubeletPort int
	pods        cache.Indexer
	queue       workqueue.TypedRateLimitingInterface[string]

	mu     sync.Mutex
	nextIP uint32
	ips    map[string]string // pod key -> pod IP, stable across status updates
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "path to an admin kubeconfig")
	nodeName := flag.String("node-name", "fake-0", "name of the simulated node")
	nodeIP := flag.String("node-ip", "10.0.0.1", "InternalIP the node reports")
	kubeletPort := flag.Int("kubelet-port", -1,
		"serve container logs on 127.0.0.1 at this port (0: any free port; -1: not at all)")
	flag.Parse()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakenode: %v\n", err)
		os.Exit(1)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakenode: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fn := &fakeNode{
		client:   client,
		nodeName: *nodeName,
		nodeIP:   *nodeIP,
		queue: workqueue.NewTypedRateLimitingQueue(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](20*time.Millisecond, 2*time.Second)),
		nextIP: 2,
		ips:    map[string]string{},
	}
	var logs net.Listener
	if *kubeletPort >= 0 {
		// Listen now, for the port the Node reports; serve once the pod cache is synced.
		if logs, err = listenLogs(*kubeletPort); err != nil {
			fmt.Fprintf(os.Stderr, "fakenode: serving container logs: %v\n", err)
			os.Exit(1)
		}
		fn.kubeletPort = logs.Addr().(*net.TCPAddr).Port
	}
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true,
		func(ctx context.Context) (bool, error) {
			if err := fn.registerNode(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "fakenode: registering node: %v\n", err)
				return false, nil
			}
			return true, nil
		}); err != nil {
		fmt.Fprintf(os.Stderr, "fakenode: node %s was not registered: %v\n", fn.nodeName, err)
		os.Exit(1)
	}

	factory := informers.NewSharedInformerFactory(client, 0)
	podInformer := factory.Core().V1().Pods().Informer()
	fn.pods = podInformer.GetIndexer()
	enqueue := func(obj interface{}) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			fn.queue.Add(key)
		}
	}
	podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		DeleteFunc: func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				fn.mu.Lock()
				delete(fn.ips, key)
				fn.mu.Unlock()
			}
		},
	})
	nodeInformer := factory.Core().V1().Nodes().Informer()
	nodeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		// Someone deleted the node (a test that cleans up too eagerly): bring it back.
		DeleteFunc: func(obj interface{}) {
			if n, ok := obj.(*corev1.Node); ok && n.Name == fn.nodeName {
				_ = fn.registerNode(ctx)
			}
		},
	})
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	if logs != nil {
		fn.serveLogs(ctx, logs)
	}
	fmt.Fprintf(os.Stderr, "fakenode: node %s ready\n", fn.nodeName)

	for i := 0; i < 4; i++ {
		go fn.work(ctx)
	}
	<-ctx.Done()
	fn.queue.ShutDown()
}

// registerNode creates the node if needed and sets its status to Ready.
func (fn *fakeNode) registerNode(ctx context.Context) error {
	nodes := fn.client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, fn.nodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name: fn.nodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname": fn.nodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "fakenode",
			},
		}}, metav1.CreateOptions{})
	}
	if err != nil {
		return err
	}
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("64"),
		corev1.ResourceMemory:           resource.MustParse("256Gi"),
		corev1.ResourcePods:             resource.MustParse("1000"),
		corev1.ResourceEphemeralStorage: resource.MustParse("1Ti"),
	}
	node.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message: "simulated node is ready", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory",
				LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure",
				LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID",
				LastHeartbeatTime: now, LastTransitionTime: now},
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: fn.nodeIP},
			{Type: corev1.NodeHostName, Address: fn.nodeName},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{
			KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(fn.kubeletPort)},
		},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: "v0.0.0-fakenode", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "fakenode://0",
		},
	}
	if fn.kubeletPort > 0 {
		// Where the API server finds the log server (scripts/cluster makes it prefer this type).
		node.Status.Addresses = append(node.Status.Addresses,
			corev1.NodeAddress{Type: corev1.NodeInternalDNS, Address: "127.0.0.1"})
	}
	node, err = nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil || len(node.Spec.Taints) == 0 {
		return err
	}
	// The TaintNodesByCondition admission plugin gives every new node the not-ready taint; on a
	// real cluster the node lifecycle controller lifts it once the kubelet reports Ready. That
	// controller does not run here, so the node lifts it itself.
	node.Spec.Taints = nil
	_, err = nodes.Update(ctx, node, metav1.UpdateOptions{})
	return err
}

func (fn *fakeNode) work(ctx context.Context) {
	for {
		key, shutdown := fn.queue.Get()
		if shutdown {
			return
		}
		if err := fn.sync(ctx, key); err != nil {
			if ctx.Err() == nil && !apierrors.IsNotFound(err) {
				fn.queue.AddRateLimited(key)
			}
		} else {
			fn.queue.Forget(key)
		}
		fn.queue.Done(key)
	}
}

// sync moves one pod one step along the lifecycle a kubelet would drive.
func (fn *fakeNode) sync(ctx context.Context, key string) error {
	obj, exists, err := fn.pods.GetByKey(key)
	if err != nil || !exists {
		return err
	}
	pod := obj.(*corev1.Pod)
	pods := fn.client.CoreV1().Pods(pod.Namespace)

	switch {
	case pod.DeletionTimestamp != nil:
		if pod.Spec.NodeName != fn.nodeName && pod.Spec.NodeName != "" {
			return nil
		}
		zero := int64(0)
		uid := pod.UID
		return pods.Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero,
			Preconditions:      &metav1.Preconditions{UID: &uid},
		})
	case pod.Spec.NodeName == "":
		return pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: fn.nodeName},
		}, metav1.CreateOptions{})
	case pod.Spec.NodeName != fn.nodeName:
		return nil
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return nil
	case pod.Status.Phase == corev1.PodRunning && pod.Status.StartTime != nil:
		return nil
	}
	_, err = pods.UpdateStatus(ctx, fn.startedPod(key, pod), metav1.UpdateOptions{})
	return err
}

// startedPod returns a copy of pod with the status a kubelet reports once its containers run
// (or, for a Job's pods, once they have exited).
func (fn *fakeNode) startedPod(key string, pod *corev1.Pod) *corev1.Pod {
	now := metav1.Now()
	state := pod.Annotations[stateAnnotation]
	finished := false
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "Job" {
			finished = true
		}
	}
	if pod.Spec.RestartPolicy == corev1.RestartPolicyNever && state == "fail" {
		finished = true
	}
	phase := corev1.PodRunning
	ready := state != "not-ready" && state != "fail"
	if finished {
		ready = false
		phase = corev1.PodSucceeded
		if state == "fail" {
			phase = corev1.PodFailed
		}
	}

	out := pod.DeepCopy()
	st := &out.Status
	st.Phase = phase
	st.HostIP = fn.nodeIP
	st.HostIPs = []corev1.HostIP{{IP: fn.nodeIP}}
	st.PodIP = fn.podIP(key)
	st.PodIPs = []corev1.PodIP{{IP: st.PodIP}}
	st.StartTime = &now
	// The API server computes the QoS class when the pod is created and refuses a change.
	if st.QOSClass == "" {
		st.QOSClass = corev1.PodQOSBestEffort
	}
	cond := func(t corev1.PodConditionType, ok bool, reason string) corev1.PodCondition {
		s := corev1.ConditionTrue
		if !ok {
			s = corev1.ConditionFalse
		}
		return corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: now}
	}
	notReadyReason := ""
	if !ready {
		notReadyReason = "ContainersNotReady"
		if finished {
			notReadyReason = "PodCompleted"
		}
	}
	st.Conditions = []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, true, ""),
		cond(corev1.PodInitialized, true, ""),
		cond(corev1.ContainersReady, ready, notReadyReason),
		cond(corev1.PodReady, ready, notReadyReason),
		cond(corev1.PodScheduled, true, ""),
	}
	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "fakenode://" + c.Image, Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}},
		})
	}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "fakenode://" + c.Image,
			ContainerID: "fakenode://" + string(pod.UID) + "/" + c.Name, Ready: ready}
		started := !finished
		cs.Started = &started
		switch {
		case finished && state == "fail":
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error",
				StartedAt: now, FinishedAt: now}
		case finished:
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed",
				StartedAt: now, FinishedAt: now}
		default:
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: now}
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}
	return out
}

// podIP hands out addresses from 10.244.0.0/16, one per pod, kept while the pod lives.
func (fn *fakeNode) podIP(key string) string {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if ip, ok := fn.ips[key]; ok {
		return ip
	}
	n := fn.nextIP
	fn.nextIP++
	if fn.nextIP >= 65534 {
		fn.nextIP = 2
	}
	ip := fmt.Sprintf("10.244.%d.%d", n>>8, n&0xff)
	fn.ips[key] = ip
	return ip
}
