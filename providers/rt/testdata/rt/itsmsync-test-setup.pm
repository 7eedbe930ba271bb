# What .ci/rt.sh creates in a throwaway Request Tracker for the itsmsync
# integration test, and the admin steps a real RT needs for the rt preset:
# a queue, a privileged API user with the rights the preset uses, and the
# correlation custom field applied to the queue.
#
#   rt-setup-database --action insert --skip-create --datafile itsmsync-test-setup.pm
#
# SPDX-License-Identifier: Apache-2.0

@Queues = (
    {
        Name        => 'itsmsync',
        Description => 'itsmsync integration test',
    },
);

@Users = (
    {
        Name         => 'itsmsync',
        RealName     => 'itsmsync API user',
        EmailAddress => 'itsmsync@example.invalid',
        Privileged   => 1,
    },
);

@CustomFields = (
    {
        Name        => 'itsmsync correlation',
        Description => 'itsmsync correlation key (one per SIEM case)',
        Type        => 'FreeformSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        ApplyTo     => ['itsmsync'],
    },
);

# The rights the rt preset needs on its queue (ticket work and the
# correlation field), and globally the two that let EnsureCorrelationField
# create and apply the field itself.
@ACL = (
    {
        UserId => 'itsmsync',
        Queue  => 'itsmsync',
        Right  => [qw(SeeQueue ShowTicket CreateTicket ModifyTicket CommentOnTicket ReplyToTicket
                      ShowTicketComments SeeCustomField ModifyCustomField SetInitialCustomField)],
    },
    {
        UserId => 'itsmsync',
        Right  => [qw(SeeCustomField AdminCustomField AssignCustomFields)],
    },
);

1;
