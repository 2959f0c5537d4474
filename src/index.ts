/**
 * Switchboard's public API: the engine (`createSwitchboard`), the channel API with Aculab's vocabulary and
 * errors, the callback payload types, the cause table, and XState's `SimulatedClock` for deterministic time.
 */
export { SimulatedClock } from 'xstate';
export { State, Cause, TransferCause, type EndCause, type Direction } from '../machines/vocabulary';
export {
  createSwitchboard,
  type Switchboard,
  type SwitchboardOptions,
  type SwitchboardOptionsWithNetwork,
  type SwitchboardStats,
  type ConferenceInfo,
} from './engine/switchboard';
export type { StateStore, RestoreSummary } from './engine/durable';
export {
  Channel,
  type CallOptions,
  type TransferOptions,
  type ConferenceRoomOptions,
  type RejectOptions,
} from './engine/channel';
export { HangupError, CallChannelError } from './engine/errors';
export { TonePlayer, DEFAULT_RINGBACK_TONE } from './engine/tonePlayer';
export type { SwitchboardEvents, SwitchboardEventName, LegStateChange } from './engine/events';
export type {
  BandwidthCallback,
  InitiateCallback,
  AnswerCallback,
  DisconnectCallback,
  TransferAnswerCallback,
  TransferCompleteCallback,
  TransferDisconnectCallback,
  CatapultHangupEvent,
} from './engine/callbacks';
export type {
  ConferenceCallback,
  ConferenceCreatedCallback,
  ConferenceMemberJoinCallback,
  ConferenceMemberExitCallback,
  ConferenceCompletedCallback,
} from './engine/conferenceCallbacks';
export type { Network, NetworkIndications, Destination, SipLegFacts } from './engine/network';
export { createSipNetwork, SipNetwork, type SipNetworkOptions, type SipMedia } from './sip/network';
export { type SipLimits } from './sip/limits';
export {
  SimulatedNetwork,
  OUTCOMES,
  DEFAULT_RING_SECONDS,
  type Behaviour,
  type Outcome,
  type FarEnd,
} from './network/simulated';
export * as causes from './causes';
export {
  AgentDevice,
  type AgentOptions,
  type OperationResponse,
  type CallResponse,
  type ErrorCode,
} from './engine/agent/device';
export type {
  AgentCallObject,
  CallNotification,
  CallParticipant,
  NotificationType,
} from './engine/agent/notifications';
export type { TransferEndedInfo, CallbackMeta, CallbackUrls } from './engine/events';
export {
  OPERATIONS,
  AGENT_CALL_STATES,
  type OperationName,
  type AgentCallState,
  type CallType,
  type UserData,
} from '../machines/agentCall';
export { channelMachine } from '../machines/channel';
export { agentCallMachine } from '../machines/agentCall';
export { consultTransferMachine } from '../machines/consultTransfer';
export { retrievableTransferMachine } from '../machines/retrievableTransfer';
export { conferenceMachine } from '../machines/conference';
export type {
  SwitchboardInspection,
  MachineStep,
  ActorState,
  ActorStatus,
  MachineName,
  StepListener,
  LiveCall,
} from './engine/inspection';
export {
  toMermaid,
  toDot,
  toScxml,
  toSvg,
  chartOf,
  MACHINES,
  MACHINE_NAMES,
  type Chart,
  type ChartState,
  type ChartTransition,
} from './diagram';
export {
  createRedisStore,
  StoreOptionsError,
  NodeIdInUseError,
  type RedisStore,
  type RedisStoreOptions,
} from './store';
export type { Outbox, OutboxEntry, PendingEntry, UrlKind } from './webhooks/outbox';
