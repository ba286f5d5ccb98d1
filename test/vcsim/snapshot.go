package main

import (
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// CreateSnapshotTask is vcsim's own CreateSnapshot_Task, made to take time when the fault
// snapshotTaskMs is set. vcsim runs the task before it answers, so a client never sees a
// snapshot being made; vCenter answers with a running task at once, and the snapshot appears
// seconds later, whether or not the client still waits for it. Here the answer is a running
// task, and vcsim's own method makes the snapshot (tree, files, currentSnapshot) after the
// delay; the task then ends with its state, result and error.
func (v *vmHelper) CreateSnapshotTask(ctx *simulator.Context, req *types.CreateSnapshot_Task) soap.HasFault {
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: v.Self.Value}
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return &methods.CreateSnapshot_TaskBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: ref})}
	}
	delay := time.Duration(v.h.faults.get().SnapshotTaskMs) * time.Millisecond
	req.This = ref
	if delay == 0 {
		var body soap.HasFault
		ctx.WithLock(vm, func() { body = vm.CreateSnapshotTask(req) })
		return body
	}

	// The task's own function is never run: the goroutine below sets its info.
	task := simulator.CreateTask(vm, "createSnapshot", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return nil, nil })
	simulator.Map.WithLock(task, func() {
		simulator.Map.Update(task, []types.PropertyChange{
			{Name: "info.startTime", Val: time.Now()},
			{Name: "info.state", Val: types.TaskInfoStateRunning},
		})
	})
	go func() {
		time.Sleep(delay)
		var body soap.HasFault
		simulator.Map.WithLock(vm, func() { body = vm.CreateSnapshotTask(req) })
		changes := []types.PropertyChange{{Name: "info.completeTime", Val: time.Now()}}
		if fault := body.Fault(); fault != nil {
			changes = append(changes,
				types.PropertyChange{Name: "info.state", Val: types.TaskInfoStateError},
				types.PropertyChange{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault.VimFault().(types.BaseMethodFault), LocalizedMessage: fault.String}})
		} else {
			// vcsim's inner task has already run to its end.
			inner := simulator.Map.Get(body.(*methods.CreateSnapshot_TaskBody).Res.Returnval).(*simulator.Task)
			var info types.TaskInfo
			simulator.Map.WithLock(inner, func() { info = inner.Info })
			changes = append(changes, types.PropertyChange{Name: "info.state", Val: info.State})
			if info.Result != nil {
				changes = append(changes, types.PropertyChange{Name: "info.result", Val: info.Result})
			}
			if info.Error != nil {
				changes = append(changes, types.PropertyChange{Name: "info.error", Val: *info.Error})
			}
		}
		simulator.Map.WithLock(task, func() { simulator.Map.Update(task, changes) })
	}()
	return &methods.CreateSnapshot_TaskBody{Res: &types.CreateSnapshot_TaskResponse{Returnval: task.Self}}
}
