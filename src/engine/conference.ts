/**
 * Conference rooms: the live rooms by name, each the root actor of the conference statechart, and how a
 * transfer into a room (`transferToConferenceRoom`) makes its caller a member. The transfer itself is a
 * retrievable transfer whose target leg goes to the room (destination kind `room`): the room's leg answering
 * makes the caller a member, and the room's leg ending (retrieval, the room's end hanging up, the caller
 * hanging up) makes it leave. A room is created for its first member and completes when its last leaves; the
 * chart's facts become Bandwidth's four conference callbacks, in order. With a store, each room is a record
 * (`RoomRecord`) and a transfer's record names its room, so a restart brings both back (durable.ts).
 */
import { createActor, type Actor, type Snapshot } from 'xstate';
import { conferenceMachine } from '../../machines/conference';
import { IsoTimes } from './callbacks';
import {
  conferenceCallback,
  memberCallback,
  type ConferenceCallback,
  type MemberFacts,
  type RoomFacts,
} from './conferenceCallbacks';
import { newConferenceId } from './ids';
import type { ActorOptions, Leg } from './leg';
import type { Inspectable, MachineName } from './inspection';
import type { TransferRun } from './transfer';

/** What rooms need from the engine. */
export interface ConferenceHost {
  readonly actorOptions: ActorOptions;
  /** Hand a conference callback to the supervisor (delivered like every other callback). */
  conferenceEvent(payload: ConferenceCallback): void;
  /** A new room (to show in the inspector, and to keep in a store). */
  created(room: ConferenceRoom): void;
  now(): number;
}

/** How a call joins a room. */
export interface RoomEntry {
  name: string;
  /** Talker and listener (true), or listener only. */
  talker: boolean;
}

export type ConferenceActor = Actor<typeof conferenceMachine>;

/** A room as a store keeps it (durable.ts): its id, its actor's persisted snapshot and its members' facts. */
export interface RoomRecord {
  name: string;
  conferenceId: string;
  snapshot: unknown;
  calls: MemberFacts[];
}

export class ConferenceRoom implements Inspectable, RoomFacts {
  readonly conferenceId: string;
  readonly actor: ConferenceActor;
  /** The member calls' facts, by call id, while they are members. */
  private readonly calls = new Map<string, MemberFacts>();

  constructor(
    readonly name: string,
    host: ConferenceHost,
    times: IsoTimes,
    onCompleted: (room: ConferenceRoom) => void,
    restored?: RoomRecord,
  ) {
    this.conferenceId = restored?.conferenceId ?? newConferenceId();
    for (const facts of restored?.calls ?? []) this.calls.set(facts.callId, facts);
    this.actor = createActor(conferenceMachine, {
      ...host.actorOptions,
      input: { name },
      ...(restored ? { snapshot: restored.snapshot as Snapshot<unknown> } : {}),
    });
    const time = () => times.format(host.now());
    this.actor.on('*', (fact) => {
      switch (fact.type) {
        case 'created':
          host.conferenceEvent(conferenceCallback('conferenceCreated', this, time()));
          break;
        case 'memberJoined':
          host.conferenceEvent(memberCallback('conferenceMemberJoin', this, this.facts(fact.member.callId), time()));
          break;
        case 'memberExited':
          host.conferenceEvent(memberCallback('conferenceMemberExit', this, this.facts(fact.member.callId), time()));
          this.calls.delete(fact.member.callId);
          break;
        case 'completed':
          host.conferenceEvent(conferenceCallback('conferenceCompleted', this, time()));
          onCompleted(this);
          break;
      }
    });
  }

  get inspectedMachine(): MachineName {
    return 'conference';
  }

  get inspectedId(): string {
    return `conference:${this.conferenceId}`;
  }

  inspectedCallIds(): string[] {
    return this.members().map((m) => m.callId);
  }

  /** The members now in the room, in the order they joined. */
  members(): Array<{ callId: string; talker: boolean }> {
    return this.actor.getSnapshot().context.members.map((m) => ({ ...m }));
  }

  /** The room as a store keeps it. */
  record(): RoomRecord {
    const { name, conferenceId } = this;
    return { name, conferenceId, snapshot: this.actor.getPersistedSnapshot(), calls: [...this.calls.values()] };
  }

  join(leg: Leg, talker: boolean): void {
    if (!this.calls.has(leg.callId)) this.calls.set(leg.callId, { callId: leg.callId, from: leg.from, to: leg.to });
    this.actor.send({ type: 'JOIN', callId: leg.callId, talker });
  }

  exit(leg: Leg): void {
    this.actor.send({ type: 'EXIT', callId: leg.callId });
  }

  private facts(callId: string): MemberFacts {
    return this.calls.get(callId) ?? { callId, from: '', to: '' };
  }
}

/** The live rooms of one engine, by name. */
export class Conferences {
  private readonly rooms = new Map<string, ConferenceRoom>();
  private readonly times = new IsoTimes();
  /** The room each transfer into a room goes to (a store keeps it with the transfer). */
  private readonly entries = new WeakMap<TransferRun, RoomEntry>();

  constructor(private readonly host: ConferenceHost) {}

  /** Every live room (for the inspector and `sb.conferences()`). */
  live(): Iterable<ConferenceRoom> {
    return this.rooms.values();
  }

  /** The live room called `name`, if any. */
  room(name: string): ConferenceRoom | undefined {
    return this.rooms.get(name);
  }

  /**
   * Make a transfer into a room: its caller joins the room when the room's leg answers (the transfer's
   * `parentTransferred`), and leaves it when the room's leg is cleared. Listeners run after the transfer's own
   * (so the room's leg has answered, or ended, when the caller joins, or leaves).
   */
  attach(run: TransferRun, entry: RoomEntry): void {
    this.entries.set(run, entry);
    // A transfer restored after a restart may have made its caller a member already.
    const room = this.rooms.get(entry.name);
    let joined = room?.members().some((m) => m.callId === run.parent.callId) ? room : null;
    run.actor.on('parentTransferred', () => {
      joined = this.enter(entry.name);
      joined.join(run.parent, entry.talker);
    });
    run.actor.on('clearTarget', () => {
      joined?.exit(run.parent);
      joined = null;
    });
  }

  /** The room `run` goes to, if it is a transfer into a room. */
  entryOf(run: TransferRun): RoomEntry | undefined {
    return this.entries.get(run);
  }

  /**
   * Bring back a room a previous process of this node left (durable.ts), before the transfers into it: its
   * actor starts from its snapshot, so nothing is announced again. A room of that name already live here (a
   * takeover of another node's room) is kept as it is.
   */
  restore(record: RoomRecord): void {
    if (this.rooms.has(record.name)) return;
    this.open(new ConferenceRoom(record.name, this.host, this.times, this.completed, record));
  }

  private readonly completed = (done: ConferenceRoom): void => {
    if (this.rooms.get(done.name) === done) this.rooms.delete(done.name);
  };

  private open(room: ConferenceRoom): ConferenceRoom {
    this.rooms.set(room.name, room);
    this.host.created(room);
    room.actor.start();
    return room;
  }

  private enter(name: string): ConferenceRoom {
    return this.rooms.get(name) ?? this.open(new ConferenceRoom(name, this.host, this.times, this.completed));
  }
}
