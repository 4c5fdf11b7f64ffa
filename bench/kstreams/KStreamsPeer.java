import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * The Kafka Streams peer of bench/scenarios/kafka-streams.ts (pipe, wordcount,
 * tumbling) and bench/scenarios/kafka-streams-join.ts (join-inner, join-left):
 * the same jobs as the sluice topologies it runs against, on the same broker
 * and input, ending by itself once everything it read is processed and
 * committed.
 *
 *   KStreamsPeer BROKERS APP_ID INPUT OUTPUT JOB at-least-once|exactly-once STATE_DIR COMMIT_MS [TABLE]
 *
 * TABLE, the compacted topic the join jobs read as a KTable, is given for
 * those only. Prints one JSON line on stdout when done: the milliseconds from
 * JVM start until the group's committed offsets reached the end of every topic
 * it reads (input, table and repartition), and the JVM's CPU seconds then.
 */
public final class KStreamsPeer {
  /** Lower-cased runs of letters and apostrophes, as topologies/word-count/processors/split-words.ts. */
  private static final Pattern WORD = Pattern.compile("[\\p{L}']+");
  /** Grouped.as(...) names the repartition topic `<app id>-words-repartition`. */
  private static final String REPARTITION = "words";

  static List<String> words(byte[] line) {
    Matcher m = WORD.matcher(new String(line, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT));
    List<String> out = new ArrayList<>();
    while (m.find()) out.add(m.group());
    return out;
  }

  static KGroupedStream<String, String> wordsByWord(StreamsBuilder builder, String input) {
    KStream<byte[], byte[]> lines = builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
    return lines.flatMapValues(KStreamsPeer::words).groupBy((k, word) -> word, Grouped.with(REPARTITION, Serdes.String(), Serdes.String()));
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The order with its customer under `customer` (null when there is none), as sluice's `join` step gives it: both
   * sides parse the two JSON values and write the merged one, so neither skips the serde work the other does.
   */
  static String withCustomer(String order, String customer) {
    try {
      ObjectNode merged = (ObjectNode) JSON.readTree(order);
      merged.set("customer", customer == null ? NullNode.getInstance() : JSON.readTree(customer));
      return JSON.writeValueAsString(merged);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void join(StreamsBuilder builder, String input, String table, String output, boolean left) {
    KStream<String, String> orders = builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()));
    KTable<String, String> customers = builder.table(table, Consumed.with(Serdes.String(), Serdes.String()));
    KStream<String, String> enriched = left ? orders.leftJoin(customers, KStreamsPeer::withCustomer) : orders.join(customers, KStreamsPeer::withCustomer);
    enriched.to(output, Produced.with(Serdes.String(), Serdes.String()));
  }

  static Topology topology(String scenario, String input, String table, String output, Properties props) {
    StreamsBuilder builder = new StreamsBuilder();
    switch (scenario) {
      case "pipe" ->
          builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())).to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
      case "wordcount" -> wordsByWord(builder, input).count().toStream().to(output, Produced.with(Serdes.String(), Serdes.Long()));
      // Final results only, once a window closes, as a sluice tumbling window emits.
      case "tumbling" ->
          wordsByWord(builder, input)
              .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(1)))
              .emitStrategy(EmitStrategy.onWindowClose())
              .count()
              .toStream((windowed, count) -> windowed.key() + "@" + windowed.window().start())
              .to(output, Produced.with(Serdes.String(), Serdes.Long()));
      case "join-inner", "join-left" -> {
        if (table == null) throw new IllegalArgumentException(scenario + " needs a TABLE topic");
        join(builder, input, table, output, scenario.equals("join-left"));
      }
      default -> throw new IllegalArgumentException("scenario must be pipe, wordcount, tumbling, join-inner or join-left, got " + scenario);
    }
    // With the props, so that the table's topic is its own changelog (topology.optimization below).
    return builder.build(props);
  }

  /** Committed offsets of the group against the ends of `topic` (the last stable offset); absent partitions are empty. */
  static boolean caughtUp(Admin admin, String group, String topic) throws Exception {
    var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
    Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
    for (var p : partitions) ask.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
    var ends = admin.listOffsets(ask, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    for (var e : ends.entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      long at = c == null ? 0 : c.offset();
      if (at < e.getValue().offset()) return false;
    }
    return true;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 8 && args.length != 9) {
      System.err.println("usage: KStreamsPeer BROKERS APP_ID INPUT OUTPUT pipe|wordcount|tumbling|join-inner|join-left at-least-once|exactly-once STATE_DIR COMMIT_MS [TABLE]");
      System.exit(2);
    }
    String brokers = args[0], appId = args[1], input = args[2], output = args[3], scenario = args[4], guarantee = args[5], stateDir = args[6];
    String table = args.length == 9 ? args[8] : null;
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, switch (guarantee) {
      case "at-least-once" -> StreamsConfig.AT_LEAST_ONCE;
      case "exactly-once" -> StreamsConfig.EXACTLY_ONCE_V2;
      default -> throw new IllegalArgumentException("guarantee must be at-least-once or exactly-once, got " + guarantee);
    });
    // sluice run commits every --commit-interval (1 s by default); Kafka Streams' own default (30 s at-least-once) would
    // leave the last records uncommitted that long, which is waiting, not work.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Integer.parseInt(args[7]));
    // sluice's topics are LZ4-compressed record batches by default.
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    // Emit-on-close checks for closed windows at most once a second of wall time, on a record's arrival: the windows the
    // last second of a bounded input closed would never be emitted. sluice emits a window as soon as stream time closes it.
    props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION, 0L);

    // A sluice table is read from its own topic, which is its changelog; without this Kafka Streams would copy every table
    // record into a `-changelog` topic of its own, work sluice does not do.
    props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS);

    KafkaStreams streams = new KafkaStreams(topology(scenario, input, table, output, props), props);
    CountDownLatch failed = new CountDownLatch(1);
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      failed.countDown();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.start();

    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    List<String> read = switch (scenario) {
      case "pipe" -> List.of(input);
      case "join-inner", "join-left" -> List.of(table, input);
      default -> List.of(input, appId + "-" + REPARTITION + "-repartition");
    };
    long doneMs;
    try (Admin admin = Admin.create(adminProps)) {
      // In this order: once the input is committed, whatever it produced into the repartition topic is written (and,
      // exactly-once, committed), so the repartition topic's end read after that is final.
      outer:
      while (true) {
        if (failed.await(50, TimeUnit.MILLISECONDS)) System.exit(1);
        if (streams.state() != KafkaStreams.State.RUNNING) continue;
        for (String topic : read) if (!caughtUp(admin, appId, topic)) continue outer;
        break;
      }
      doneMs = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    }
    double cpuSeconds = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    streams.close(Duration.ofSeconds(30));
    streams.cleanUp();
    System.out.println("{\"doneMs\":" + doneMs + ",\"cpuSecondsAtDone\":" + cpuSeconds + "}");
    System.exit(0);
  }
}
