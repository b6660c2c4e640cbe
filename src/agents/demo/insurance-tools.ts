import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { defineTool, type Tool } from '../tools/tool.ts';
import { answerPolicyQuestion, findPolicy, policyById } from './policies.ts';

interface Caller {
  readonly name: string;
  readonly first_name: string;
  readonly policy_id: string;
  readonly authenticated: true;
}

const authenticateCaller = defineTool({
  name: 'authenticate_caller',
  description:
    "Verifies the caller's identity. Call it once you have their full name and either their ZIP code or the last four digits of their social security number.",
  parameters: z.object({
    full_name: z.string().min(2).describe("The caller's first and last name"),
    verifier: z
      .string()
      .regex(/^\d{4,5}$/, 'a 5-digit ZIP code or the last 4 digits of the SSN')
      .describe('ZIP code (5 digits) or last four digits of the social security number'),
  }),
  run({ full_name, verifier }, { memo }) {
    const policy = findPolicy(full_name, verifier);
    if (!policy) {
      const attempts = (memo.getContext<number>('auth_failures') ?? 0) + 1;
      memo.setContext('auth_failures', attempts);
      return { authenticated: false, attempts, message: 'No policy matches that name and code.' };
    }
    const caller: Caller = {
      name: policy.holder,
      first_name: policy.holder.split(' ')[0]!,
      policy_id: policy.policyId,
      authenticated: true,
    };
    memo.setContext('caller', caller);
    return {
      authenticated: true,
      caller_name: caller.name,
      policy_id: policy.policyId,
      policy_type: policy.kind,
    };
  },
});

const recordFnol = defineTool({
  name: 'record_fnol',
  description:
    'Files a first notice of loss (a new claim) for the authenticated caller and returns the claim number.',
  parameters: z.object({
    loss_date: z.string().min(1).describe('When the loss happened (YYYY-MM-DD)'),
    description: z.string().min(2).describe('What happened, in the caller’s words'),
    injuries: z.boolean().describe('Whether anyone was injured'),
    location: z.string().optional().describe('Where it happened'),
  }),
  run(args, { memo, progress }) {
    const caller = memo.getContext<Caller>('caller');
    if (!caller?.authenticated) throw new Error('the caller is not authenticated; authenticate them first');
    progress('Creating the claim');
    const claimId = `CLM-${randomInt(100_000, 1_000_000)}`;
    const claims = memo.getContext<unknown[]>('claims') ?? [];
    memo.setContext('claims', [...claims, { claim_id: claimId, policy_id: caller.policy_id, ...args }]);
    memo.setContext('latest_claim_id', claimId);
    progress('Claim created', 1);
    return {
      claim_id: claimId,
      claim_id_spoken: claimId.replace(/\D/g, '').split('').join(' '),
      status: 'filed',
    };
  },
});

const findInformationForPolicy = defineTool({
  name: 'find_information_for_policy',
  description:
    "Answers a question about the authenticated caller's policy: deductible, premium, coverage, roadside assistance, rental car, renewal.",
  parameters: z.object({ question: z.string().min(2) }),
  run({ question }, { memo }) {
    const caller = memo.getContext<Caller>('caller');
    const policy = caller ? policyById(caller.policy_id) : undefined;
    if (!policy) throw new Error('the caller is not authenticated; authenticate them first');
    const answer = answerPolicyQuestion(policy, question);
    return answer
      ? { found: true, answer }
      : { found: false, answer: "I don't have that information on file." };
  },
});

const handoffToAgent = defineTool({
  name: 'handoff_to_agent',
  description: 'Transfers the conversation to another specialist agent of ours, who will greet the caller.',
  parameters: z.object({
    agent: z.string().min(1).describe('The name of the agent to transfer to'),
    reason: z.string().min(1).describe('Why, in a few words (e.g. "file a claim")'),
  }),
  run({ agent, reason }, { handoff }) {
    handoff(agent, reason);
    return { transferred_to: agent };
  },
});

const escalateHuman = defineTool({
  name: 'escalate_human',
  description:
    'Transfers the call to a human representative, when the caller asks for one or cannot be helped.',
  parameters: z.object({ reason: z.string().min(1) }),
  run({ reason }, { endCall }) {
    endCall('human_handoff', 'I am transferring you to a representative now. Please hold.');
    return { escalated: true, reason };
  },
});

const escalateEmergency = defineTool({
  name: 'escalate_emergency',
  description:
    'For emergencies (someone hurt or in danger now): tells the caller to call emergency services and ends the call.',
  parameters: z.object({ reason: z.string().min(1) }),
  run({ reason }, { endCall }) {
    endCall(
      'emergency',
      'If anyone is in danger, please hang up and call nine one one now. I am alerting our emergency team.',
    );
    return { escalated: true, reason };
  },
});

const endConversation = defineTool({
  name: 'end_call',
  description: 'Ends the call politely when the caller has nothing else.',
  parameters: z.object({}),
  run(_args, { endCall }) {
    endCall('completed', 'Thank you for calling XYZ Insurance. Goodbye!');
    return { ended: true };
  },
});

/** The seed's insurance demo tools: authentication, claims (first notice of loss), policy questions, escalation. */
export const INSURANCE_TOOLS: readonly Tool[] = [
  authenticateCaller,
  recordFnol,
  findInformationForPolicy,
  handoffToAgent,
  escalateHuman,
  escalateEmergency,
  endConversation,
];
