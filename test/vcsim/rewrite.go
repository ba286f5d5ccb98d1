package main

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// A redirect points a SOAP method that vcsim lacks at a helper object: the request's
// <_this type="VirtualMachine">vm-55</_this> becomes <_this type="HarnessVirtualMachine">vm-55</_this>
// and vcsim's normal dispatch (session check, locking, fault and envelope encoding) calls the
// helper's method of the same name.
type redirect struct {
	from, to string
	helper   func(h *harness, ref types.ManagedObjectReference) mo.Reference
}

var redirects = map[string]redirect{
	"ExportVm": {"VirtualMachine", vmHelperType, func(h *harness, ref types.ManagedObjectReference) mo.Reference {
		return &vmHelper{Self: ref, h: h}
	}},
	"ExportSnapshot": {"VirtualMachineSnapshot", snapshotHelperType, func(h *harness, ref types.ManagedObjectReference) mo.Reference {
		return &snapshotHelper{Self: ref, h: h}
	}},
	"CreateSnapshot_Task": {"VirtualMachine", vmHelperType, func(h *harness, ref types.ManagedObjectReference) mo.Reference {
		return &vmHelper{Self: ref, h: h}
	}},
	"CreateDescriptor": {"OvfManager", ovfManagerHelperType, func(h *harness, ref types.ManagedObjectReference) mo.Reference {
		return &ovfManagerHelper{Self: ref, h: h}
	}},
}

// rewriteRequest returns the SOAP request body to hand to vcsim: unchanged unless its method
// is one the harness adds and its _this names an object that exists.
func (h *harness) rewriteRequest(body []byte) []byte {
	r, ok := redirects[soapMethod(body)]
	if !ok {
		return body
	}
	loc := thisElement.FindSubmatchIndex(body)
	if loc == nil || string(body[loc[2]:loc[3]]) != r.from {
		return body // malformed, or another type: vcsim answers with its own fault
	}
	value := strings.TrimSpace(string(body[loc[4]:loc[5]]))
	if simulator.Map.Get(types.ManagedObjectReference{Type: r.from, Value: value}) == nil {
		return body // vcsim answers ManagedObjectNotFound
	}
	h.ensureHelper(r, types.ManagedObjectReference{Type: r.to, Value: value})

	var out bytes.Buffer
	out.Write(body[:loc[2]])
	out.WriteString(r.to)
	out.Write(body[loc[3]:])
	return out.Bytes()
}

// thisElement finds <_this ... type="X" ...>value< (with any namespace prefix, either quote);
// the groups are the type and the value. A preceding space keeps xsi:type from matching.
var thisElement = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?_this\b[^>]*?\stype=["']([^"']*)["'][^>]*>([^<]*)<`)

func (h *harness) ensureHelper(r redirect, ref types.ManagedObjectReference) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if simulator.Map.Get(ref) == nil {
		simulator.Map.Put(r.helper(h, ref))
	}
}

// soapMethod returns the local name of the first element inside soap:Body, or "".
func soapMethod(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if start, ok := tok.(xml.StartElement); ok {
			if inBody {
				return start.Name.Local
			}
			inBody = start.Name.Local == "Body"
		}
	}
}
