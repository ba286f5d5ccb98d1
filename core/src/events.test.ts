import { describe, expect, it } from 'vitest';
import { EventBus } from './events.ts';

const warning = { message: 'disk almost full' };
const info = { message: 'snapshot taken' };

describe('EventBus.off', () => {
  it('removes a listener from the one event named, when the same listener is on two events', () => {
    const bus = new EventBus();
    const heard: string[] = [];
    const listener = (payload: { message: string }) => {
      heard.push(payload.message);
    };
    bus.on('warning', listener);
    bus.on('info', listener);

    bus.off('warning', listener);
    bus.emit('warning', warning);
    bus.emit('info', info);
    expect(heard, 'after off("warning"), only info still reaches the listener').toEqual(['snapshot taken']);

    bus.off('info', listener);
    bus.emit('warning', warning);
    bus.emit('info', info);
    expect(heard, 'after off on both events, the listener hears nothing more').toEqual(['snapshot taken']);
  });

  it('removes every registration of a listener on that event, and a once listener not yet called', () => {
    const bus = new EventBus();
    const heard: string[] = [];
    const listener = (payload: { message: string }) => {
      heard.push(payload.message);
    };
    bus.on('warning', listener);
    bus.on('warning', listener);
    bus.once('info', listener);
    bus.off('warning', listener);
    bus.off('info', listener);
    bus.emit('warning', warning);
    bus.emit('info', info);
    expect(heard).toEqual([]);
  });

  it('detaches an onAny listener from every event', () => {
    const bus = new EventBus();
    const heard: string[] = [];
    const detach = bus.onAny((event) => {
      heard.push(event);
    });
    bus.emit('info', info);
    detach();
    bus.emit('info', info);
    bus.emit('warning', warning);
    expect(heard).toEqual(['info']);
  });
});
