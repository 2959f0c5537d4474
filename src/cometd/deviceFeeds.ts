/**
 * Which CometD clients subscribe to which agent's private channels, and a device listener only while someone
 * does: the first subscriber of a device's channels adds one listener to that device, the last one to leave
 * (unsubscribe, disconnect or timeout) removes it, and empty channels are forgotten. So connections that come
 * and go leave no listeners and no records behind.
 */
import type { AgentDevice, CallNotification } from '../index';
import type { RemoteNotifications } from '../cluster';
import { onceStored, type Send } from './onceStored';

export interface DeviceFeed {
  device: AgentDevice;
  /** The private channel carrying this device's notifications for a public channel name. */
  channel(name: string): string;
}

/** A device's own notifications (sent once stored), and the other nodes' for its DN (sent as they arrive). */
interface Listeners {
  local: (message: CallNotification) => void;
  remote: (message: CallNotification) => void;
}

export class DeviceFeeds {
  /** Subscribed client ids per private channel (only channels with subscribers). */
  private readonly subscribers = new Map<string, Set<string>>();
  /** The listener of each device that has a subscriber now. */
  private readonly listening = new Map<AgentDevice, Listeners>();
  /** This node's own notifications go out once their turn is stored (onceStored.ts). */
  private readonly afterStored: Send;

  /**
   * `feedOf(channel)`: the device whose private channel that is (or undefined); `publish` sends a notification
   * on a private channel.
   */
  constructor(
    private readonly feedOf: (channel: string) => DeviceFeed | undefined,
    private readonly publish: (channel: string, data: unknown) => void,
    /** On a cluster node, the other nodes' notifications for a DN (src/cluster/): followed like the device's. */
    private readonly remote?: RemoteNotifications,
    /** With a store: resolves once the turns ended so far are stored. */
    written?: () => Promise<void>,
  ) {
    this.afterStored = onceStored(written);
  }

  subscribed(clientId: string, channel: string): void {
    const feed = this.feedOf(channel);
    if (!feed) return;
    const set = this.subscribers.get(channel) ?? new Set<string>();
    this.subscribers.set(channel, set.add(clientId));
    if (this.listening.has(feed.device)) return;
    const remote = (notification: CallNotification) => {
      const target = feed.channel(notification.channel);
      if (this.subscribers.has(target)) this.publish(target, notification.data);
    };
    const local = (notification: CallNotification) => this.afterStored(() => remote(notification));
    this.listening.set(feed.device, { local, remote });
    feed.device.on('notification', local);
    this.remote?.listen(feed.device.phoneNumber, remote);
  }

  unsubscribed(clientId: string, channel: string): void {
    const set = this.subscribers.get(channel);
    if (!set?.delete(clientId) || set.size > 0) return;
    this.subscribers.delete(channel);
    const feed = this.feedOf(channel);
    if (feed && !this.anySubscriber(feed)) this.stopListening(feed.device);
  }

  disconnected(clientId: string): void {
    for (const channel of [...this.subscribers.keys()]) this.unsubscribed(clientId, channel);
  }

  /** Removes every listener (the server is closing). */
  clear(): void {
    for (const device of [...this.listening.keys()]) this.stopListening(device);
    this.subscribers.clear();
  }

  /** Channels with subscribers, and devices listened to, now. */
  stats(): { channels: number; devices: number } {
    return { channels: this.subscribers.size, devices: this.listening.size };
  }

  private anySubscriber(feed: DeviceFeed): boolean {
    for (const channel of this.subscribers.keys()) if (this.feedOf(channel)?.device === feed.device) return true;
    return false;
  }

  private stopListening(device: AgentDevice): void {
    const listeners = this.listening.get(device);
    if (listeners) device.off('notification', listeners.local);
    if (listeners) this.remote?.unlisten(device.phoneNumber, listeners.remote);
    this.listening.delete(device);
  }
}
