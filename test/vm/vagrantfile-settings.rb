# Evaluates the real Vagrantfile with a recording stand-in for Vagrant's config object and prints, as
# JSON, what Vagrant would hand to the guest: the VM's hostname and every provisioner in file order
# (name, options such as type/inline/privileged, and the settings its block assigns, e.g. ansible_local's
# provisioning_path, playbook, galaxy_role_file, galaxy_command, limit, extra_vars).
# Usage: ruby vagrantfile-settings.rb path/to/Vagrantfile
require "json"

PROVISIONERS = []
SETTINGS = {}

# Records `x.key = value` assignments and answers every other call with a nested recorder.
class Recorder
  attr_reader :values
  def initialize(values = {}) = @values = values
  def method_missing(name, *args, **kwargs, &block)
    key = name.to_s
    return @values[key.chomp("=")] = args.first if key.end_with?("=")
    child = Recorder.new
    if key == "provision"
      PROVISIONERS << { "name" => args.first.to_s, "options" => kwargs.transform_keys(&:to_s), "settings" => child.values }
    end
    block&.arity == 2 ? block.call(child, Recorder.new) : block&.call(child)
    child
  end
  def respond_to_missing?(*) = true
end

module Vagrant
  def self.configure(_version) = yield(Recorder.new)
end

path = File.expand_path(ARGV.fetch(0))
Dir.chdir(File.dirname(path)) { eval(File.read(path), binding, path) } # rubocop:disable Security/Eval
hostname = ObjectSpace.each_object(Recorder).map { |r| r.values["hostname"] }.compact.first
puts JSON.pretty_generate("hostname" => hostname, "provisioners" => PROVISIONERS)
