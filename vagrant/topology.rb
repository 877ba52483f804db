# kafkalab topology: reads vagrant/topologies/NAME.yaml and turns one host of it into the
# environment variables the provisioning scripts take (KL_*). The Vagrantfile uses it for VMs;
# `ruby vagrant/topology.rb compose NAME` writes the Docker Compose file from it.
#
#   ruby vagrant/topology.rb env study kafka01 [vm|docker]   # KL_* lines for one host
#   ruby vagrant/topology.rb compose study                   # docker/compose.study.yml
#   ruby vagrant/topology.rb hosts study                     # the host names, one a line
require "yaml"

module Topology
  DIR = File.join(__dir__, "topologies")

  def self.load(name)
    path = File.join(DIR, "#{name}.yaml")
    raise ArgumentError, "no topology #{name.inspect}: expected #{path}" unless File.file?(path)
    topo = YAML.safe_load(File.read(path))
    validate!(topo, path)
    topo
  end

  def self.validate!(topo, path)
    hosts = topo.fetch("hosts")
    %w[name ip].each do |key|
      values = hosts.map { |h| h.fetch(key) }
      dup = values.find { |v| values.count(v) > 1 }
      raise ArgumentError, "#{path}: #{key} #{dup} is used twice" if dup
    end
    zk = hosts.select { |h| h["roles"].include?("zookeeper") }
    kafka = hosts.select { |h| h["roles"].include?("kafka") }
    raise ArgumentError, "#{path}: no zookeeper host" if zk.empty?
    raise ArgumentError, "#{path}: no kafka host" if kafka.empty?
    ids = zk.map { |h| h.fetch("zookeeper_id") }
    raise ArgumentError, "#{path}: zookeeper_id values repeat" if ids.uniq.size != ids.size
    bids = kafka.map { |h| h.fetch("broker_id") }
    raise ArgumentError, "#{path}: broker_id values repeat" if bids.uniq.size != bids.size
  end

  def self.zookeepers(topo)
    topo["hosts"].select { |h| h["roles"].include?("zookeeper") }
  end

  def self.host(topo, name)
    topo["hosts"].find { |h| h["name"] == name } or
      raise ArgumentError, "topology #{topo["name"]} has no host #{name}"
  end

  # The KL_* variables of one host. target "vm": the external listener is the VM's private IP;
  # "docker": it is 127.0.0.1, where Compose publishes the port.
  def self.env(topo, name, target = "vm")
    h = host(topo, name)
    zk = topo["zookeeper"]
    kafka = topo["kafka"]
    zks = zookeepers(topo)
    env = {
      "KL_TOPOLOGY" => topo["name"],
      "KL_HOST" => h["name"],
      "KL_TARGET" => target,
      "KL_ROLES" => h["roles"].join(" "),
      "KL_HOSTS" => topo["hosts"].map { |x| "#{x["ip"]}=#{x["name"]}" }.join(" "),
      "KL_TIMEZONE" => topo["timezone"],
      "KL_JAVA_PACKAGE" => topo["java_package"],
      "KL_ZK_VERSION" => zk["version"].to_s,
      "KL_ZK_INSTALL_DIR" => zk["install_dir"],
      "KL_ZK_DATA_DIR" => zk["data_dir"],
      "KL_ZK_USER" => zk["user"],
      "KL_ZK_CLIENT_PORT" => zk["client_port"].to_s,
      "KL_ZK_TICK_TIME" => zk["tick_time"].to_s,
      "KL_ZK_INIT_LIMIT" => zk["init_limit"].to_s,
      "KL_ZK_SYNC_LIMIT" => zk["sync_limit"].to_s,
      "KL_ZK_SERVERS" => zks.map { |x| "#{x["zookeeper_id"]}=#{x["name"]}:#{zk["quorum_port"]}:#{zk["election_port"]}" }.join(" "),
      "KL_KAFKA_VERSION" => kafka["version"].to_s,
      "KL_KAFKA_SCALA" => kafka["scala"].to_s,
      "KL_KAFKA_INSTALL_DIR" => kafka["install_dir"],
      "KL_KAFKA_LOG_DIRS" => kafka["log_dirs"],
      "KL_KAFKA_USER" => kafka["user"],
      "KL_KAFKA_PORT" => kafka["port"].to_s,
      "KL_KAFKA_ZK_CONNECT" => zks.map { |x| "#{x["name"]}:#{zk["client_port"]}" }.join(",") + kafka["chroot"],
    }
    env["KL_ZK_ID"] = h["zookeeper_id"].to_s if h["roles"].include?("zookeeper")
    if h["roles"].include?("kafka")
      env["KL_KAFKA_BROKER_ID"] = h["broker_id"].to_s
      env["KL_KAFKA_EXTERNAL_HOST"] = target == "docker" ? "127.0.0.1" : h["ip"]
      env["KL_KAFKA_EXTERNAL_PORT"] = (kafka["external_port_base"] + h["broker_id"]).to_s
    end
    env
  end

  # A Compose file (format 2.4: read by docker-compose v1 and docker compose v2) with one
  # container per host, keeping the host's name, and its ports published on 127.0.0.1 only.
  def self.compose(topo)
    zk = topo["zookeeper"]
    lines = []
    lines << "# Generated from vagrant/topologies/#{topo["name"]}.yaml by `ruby vagrant/topology.rb compose #{topo["name"]}`."
    lines << "# Do not edit: change the topology and generate it again (a test checks they agree)."
    lines << "# Images: docker/build-images.sh. Ports are published on 127.0.0.1 only."
    lines << 'version: "2.4"'
    lines << "services:"
    zk_index = 0
    topo["hosts"].each do |h|
      env = env(topo, h["name"], "docker")
      lines << "  #{h["name"]}:"
      lines << "    image: ${KAFKALAB_IMAGE:-kafkalab/node:latest}"
      lines << "    hostname: #{h["name"]}"
      lines << "    container_name: kafkalab-#{topo["name"]}-#{h["name"]}"
      lines << "    environment:"
      env.each { |k, v| lines << "      #{k}: \"#{v}\"" }
      lines << "    ports:"
      if h["roles"].include?("zookeeper")
        zk_index += 1
        lines << "      - \"127.0.0.1:#{zk["client_port"] + zk_index - 1}:#{zk["client_port"]}\""
      end
      if h["roles"].include?("kafka")
        port = env["KL_KAFKA_EXTERNAL_PORT"]
        lines << "      - \"127.0.0.1:#{port}:#{port}\""
      end
      lines << "    healthcheck:"
      lines << "      test: [\"CMD\", \"/opt/kafkalab/provision/healthcheck.sh\"]"
      lines << "      interval: 5s"
      lines << "      timeout: 5s"
      lines << "      retries: 30"
      lines << "    volumes:"
      lines << "      - #{h["name"]}-data:/data"
      lines << "    networks: [kafkalab]"
    end
    lines << "networks:"
    lines << "  kafkalab:"
    lines << "    name: kafkalab-#{topo["name"]}"
    lines << "volumes:"
    topo["hosts"].each { |h| lines << "  #{h["name"]}-data:" }
    lines.join("\n") + "\n"
  end
end

if $PROGRAM_NAME == __FILE__
  command, name, host, target = ARGV
  begin
    case command
    when "env"
      Topology.env(Topology.load(name), host, target || "vm").each { |k, v| puts "#{k}='#{v}'" }
    when "compose"
      print Topology.compose(Topology.load(name))
    when "hosts"
      Topology.load(name)["hosts"].each { |h| puts h["name"] }
    else
      warn "usage: ruby vagrant/topology.rb env NAME HOST [vm|docker] | compose NAME | hosts NAME"
      exit 2
    end
  rescue ArgumentError, KeyError => e
    warn "topology: #{e.message}"
    exit 1
  end
end
