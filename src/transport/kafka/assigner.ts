/**
 * kafkajs partition assigners backed by sluice's own `range` / `roundrobin`
 * (kafkajs ships only round-robin), named as the Java client names them so
 * mixed groups agree on a protocol. Run by the group leader only.
 */
import kafkajs, { type PartitionAssigner } from 'kafkajs';
import { rangeAssign, roundRobinAssign, type Assignor, type GroupMember } from '../assignment.ts';

const { AssignerProtocol } = kafkajs;

function assigner(name: string, assign: Assignor): PartitionAssigner {
  return ({ cluster }) => ({
    name,
    version: 0,
    async assign({ members, topics }) {
      const partitionsPerTopic = new Map(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).length]));
      const subscriptions: GroupMember[] = members.map(({ memberId, memberMetadata }) => ({
        id: memberId,
        topics: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? topics,
      }));
      const assignments = assign(subscriptions, partitionsPerTopic);
      return [...assignments].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: Object.fromEntries([...assignment].map(([topic, ps]) => [topic, [...ps].sort((a, b) => a - b)])),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

export const rangeAssigner = assigner('range', rangeAssign);
export const roundRobinAssigner = assigner('roundrobin', roundRobinAssign);
