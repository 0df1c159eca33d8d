package content

import (
	"bytes"
	"fmt"
	"strconv"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// DriverName is the name Driver is stored under in the history, beside each claim. Renaming it would
// leave the payloads stored under the old name unreadable, so it is a constant.
const DriverName = "eaapl-content"

// DefaultThreshold is the payload size from which ExternalStorage offloads a payload: the SDK's own
// default, far below Temporal's 2 MB payload and 4 MB gRPC message limits, so that a workflow task
// carrying several large values still fits.
const DefaultThreshold = 256 * 1024

// payloadMediaType is what a Ref of a stored payload says it holds: a serialized temporal.api.common.v1.Payload.
const payloadMediaType = "application/x-protobuf; messageType=temporal.api.common.v1.Payload"

// Driver is a converter.StorageDriver over a Store: the SDK gives it the payloads over the threshold,
// and it stores each (serialized, metadata included) and returns the Ref as the claim the history keeps.
type Driver struct {
	store Store
	max   int64 // the largest payload Retrieve reads back into memory
}

var _ converter.StorageDriver = (*Driver)(nil)

// NewDriver returns a Driver over store that reads back payloads of at most maxPayload bytes
// (DefaultMaxSize when 0).
func NewDriver(store Store, maxPayload int64) *Driver {
	if maxPayload == 0 {
		maxPayload = DefaultMaxSize
	}
	return &Driver{store: store, max: maxPayload}
}

// ExternalStorage is the client option (client.Options.ExternalStorage, inherited by the client's
// workers; worker.WorkflowReplayerOptions.ExternalStorage for replay) that stores every payload of at
// least threshold bytes (DefaultThreshold when 0) in store.
func ExternalStorage(store Store, threshold int) converter.ExternalStorage {
	if threshold == 0 {
		threshold = DefaultThreshold
	}
	return converter.ExternalStorage{Drivers: []converter.StorageDriver{NewDriver(store, 0)}, PayloadSizeThreshold: threshold}
}

// Name implements converter.StorageDriver.
func (d *Driver) Name() string { return DriverName }

// Type implements converter.StorageDriver.
func (d *Driver) Type() string { return "eaapl.content" }

// Store implements converter.StorageDriver.
func (d *Driver) Store(ctx converter.StorageDriverStoreContext, payloads []*commonpb.Payload) ([]converter.StorageDriverClaim, error) {
	claims := make([]converter.StorageDriverClaim, len(payloads))
	for i, p := range payloads {
		err := ctx.GetLimiter().Permit(ctx.Context, p, func() error {
			b, err := proto.Marshal(p)
			if err != nil {
				return fmt.Errorf("serialize a payload of %d bytes: %w", proto.Size(p), err)
			}
			ref, err := d.store.Put(ctx.Context, bytes.NewReader(b), payloadMediaType)
			if err != nil {
				return err
			}
			claims[i] = claimOf(ref)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return claims, nil
}

// Retrieve implements converter.StorageDriver.
func (d *Driver) Retrieve(ctx converter.StorageDriverRetrieveContext, claims []converter.StorageDriverClaim) ([]*commonpb.Payload, error) {
	payloads := make([]*commonpb.Payload, len(claims))
	for i, c := range claims {
		err := ctx.GetLimiter().Permit(ctx.Context, c, func() error {
			ref, err := refOf(c)
			if err != nil {
				return err
			}
			b, err := ReadAll(ctx.Context, d.store, ref, d.max)
			if err != nil {
				return err
			}
			var p commonpb.Payload
			if err := proto.Unmarshal(b, &p); err != nil {
				return fmt.Errorf("content %s is not a stored payload: %w", ref, err)
			}
			payloads[i] = &p
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return payloads, nil
}

// claimOf and refOf turn a Ref into the claim's string map and back.
func claimOf(ref Ref) converter.StorageDriverClaim {
	return converter.StorageDriverClaim{ClaimData: map[string]string{
		"scheme": ref.Scheme, "hash": ref.Hash, "size": strconv.FormatInt(ref.Size, 10),
	}}
}

func refOf(c converter.StorageDriverClaim) (Ref, error) {
	size, err := strconv.ParseInt(c.ClaimData["size"], 10, 64)
	if err != nil {
		return Ref{}, fmt.Errorf("storage claim %v has no valid size", c.ClaimData)
	}
	ref := Ref{Scheme: c.ClaimData["scheme"], Hash: c.ClaimData["hash"], Size: size, MediaType: payloadMediaType}
	return ref, ref.Validate()
}
